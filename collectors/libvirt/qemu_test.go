package libvirt

import (
	"context"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// The production defaults: qemu:///system on the read-only socket, through
// the pool, against a real libvirtd's QEMU driver (no domains defined).
func TestQEMUSystemDefaults(t *testing.T) {
	h, _ := startHost(t, testbed.HostConfig{Libvirt: &testbed.LibvirtConfig{}})
	cfg := config(h, "")
	cfg.Libvirt = nil
	start := time.Now()
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{
		Hosts: []collectors.Target{{UUID: "h1", Name: "kvm-h1", Address: h.Addr, Hypervisor: "KVM"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Errors) != 0 {
		t.Fatalf("errors: %+v", part.Errors)
	}
	d := part.Hosts["h1"].Domains
	if d.Source != "libvirt" || len(d.Domains) != 0 {
		t.Errorf("domains = %+v", d)
	}
	t.Logf("qemu:///system listed in %s", time.Since(start))
}
