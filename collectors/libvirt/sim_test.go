package libvirt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// The simulator's streamlocal forwarding carries go-libvirt to a real
// libvirtd: the spike the lab simulator depends on.
func TestSimulatorForwardsToRealLibvirtd(t *testing.T) {
	h, uri := startHost(t, testbed.HostConfig{Libvirt: &testbed.LibvirtConfig{}})
	sock := filepath.Join(h.LibvirtRun, "libvirt-sock-ro")
	sim, err := testbed.StartSim(testbed.SimConfig{N: 3, Dir: t.TempDir(),
		Output: func(int, string) ([]byte, int) { return nil, 127 },
		Socket: func(_ int, path string) string {
			if path == DefaultSocket {
				return sock
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	no := false
	cfg := &collectors.Config{
		SSH:     &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile}, KnownHosts: sim.KnownHostsFile, UseAgent: &no},
		Libvirt: &collectors.LibvirtConfig{URI: uri},
	}
	var targets []collectors.Target
	for i, a := range sim.Addrs {
		targets = append(targets, collectors.Target{UUID: string(rune('a' + i)), Name: "sim", Address: a, Hypervisor: "KVM"})
	}
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Errors) != 0 {
		t.Fatalf("errors: %+v", part.Errors)
	}
	for _, tg := range targets {
		d := part.Hosts[tg.UUID].Domains
		if d.Source != "libvirt" {
			t.Errorf("%s: source %s", tg.UUID, d.Source)
		}
		if diff := cmp.Diff(wantDomains, d.Domains); diff != "" {
			t.Error(diff)
		}
	}
}
