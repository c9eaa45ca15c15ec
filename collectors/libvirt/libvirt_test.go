package libvirt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

var testDomains = []testbed.TestDomain{
	{Name: "i-2-10-VM", UUID: "6f0d2a0e-1111-4a4a-9a9a-000000000010", State: 1},
	{Name: "i-2-11-VM", UUID: "6f0d2a0e-1111-4a4a-9a9a-000000000011", State: 5},
	{Name: "r-4-VM", UUID: "6f0d2a0e-1111-4a4a-9a9a-000000000004", State: 3},
}

var wantDomains = []collectors.Domain{
	{Name: "i-2-10-VM", UUID: "6f0d2a0e-1111-4a4a-9a9a-000000000010", State: "running", Reason: "unknown"},
	{Name: "i-2-11-VM", UUID: "6f0d2a0e-1111-4a4a-9a9a-000000000011", State: "shutoff", Reason: "unknown"},
	{Name: "r-4-VM", UUID: "6f0d2a0e-1111-4a4a-9a9a-000000000004", State: "paused", Reason: "unknown"},
}

func startHost(t *testing.T, cfg testbed.HostConfig) (*testbed.Host, string) {
	t.Helper()
	cfg.Dir = t.TempDir()
	node := filepath.Join(cfg.Dir, "node.xml")
	if err := os.WriteFile(node, []byte(testbed.NodeXML(testDomains)), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := testbed.StartHost(cfg)
	if err != nil {
		if strings.Contains(err.Error(), testbed.ErrMissing.Error()) {
			testbed.Missing(t, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h, "test://" + node
}

func config(h *testbed.Host, uri string) *collectors.Config {
	no := false
	return &collectors.Config{
		SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{h.ClientKeyFile}, KnownHosts: h.KnownHostsFile,
			UseAgent: &no, ConnectTimeout: collectors.Duration(5 * time.Second), CommandTimeout: collectors.Duration(10 * time.Second)},
		Libvirt: &collectors.LibvirtConfig{URI: uri},
	}
}

// Both collectors share one pool: the host is dialled once and libvirt's
// read-only socket is reached through that connection.
func TestSharedPoolAgainstLibvirtd(t *testing.T) {
	h, uri := startHost(t, testbed.HostConfig{Libvirt: &testbed.LibvirtConfig{}})
	cfg := config(h, uri)
	pool, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	hc := hosts.NewWithPool(pool, nil)
	lc := NewWithPool(cfg, pool, nil)
	inv := &collectors.Inventory{
		Selected: map[string]bool{"hosts": true, "libvirt": true},
		Hosts:    []collectors.Target{{ID: "1", UUID: "h1", Name: "kvm-h1", Address: h.Addr, Hypervisor: "KVM"}},
	}
	var hp, lp *collectors.Part
	var herr, lerr error
	done := make(chan struct{})
	go func() { hp, herr = hc.Collect(context.Background(), inv); close(done) }()
	lp, lerr = lc.Collect(context.Background(), inv)
	<-done
	if herr != nil || lerr != nil {
		t.Fatal(herr, lerr)
	}
	if len(lp.Errors) != 0 || len(hp.Errors) != 0 {
		t.Fatalf("errors: %+v %+v", lp.Errors, hp.Errors)
	}
	d := lp.Hosts["h1"].Domains
	if d.Source != "libvirt" {
		t.Errorf("source = %s", d.Source)
	}
	if diff := cmp.Diff(wantDomains, d.Domains); diff != "" {
		t.Error(diff)
	}
	snap := collectors.NewSnapshot(collectors.Tool{}, time.Now())
	collectors.Merge(snap, hp)
	collectors.Merge(snap, lp)
	if got := snap.Hosts["h1"]; got.Domains == nil || got.Listeners == nil {
		t.Errorf("merged host lacks facts: %+v", got)
	}
	// sshd logs one accepted connection: the pool dialled once.
	log, _ := os.ReadFile(h.Proc.Log)
	if n := strings.Count(string(log), "Accepted publickey"); n != 1 {
		t.Errorf("%d SSH connections for one host, want 1", n)
	}
}

// With stream forwarding refused, virsh -r over the same connection answers.
func TestVirshFallback(t *testing.T) {
	if _, err := testbed.Need("libvirt-clients", "virsh"); err != nil {
		testbed.Missing(t, err)
	}
	h, uri := startHost(t, testbed.HostConfig{SSHDConfig: []string{"AllowStreamLocalForwarding no"}})
	part, err := New(config(h, uri)).Collect(context.Background(), &collectors.Inventory{
		Hosts: []collectors.Target{{UUID: "h1", Name: "kvm-h1", Address: h.Addr, Hypervisor: "KVM"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Errors) != 0 {
		t.Fatalf("errors: %+v", part.Errors)
	}
	d := part.Hosts["h1"].Domains
	if d.Source != "virsh" {
		t.Errorf("source = %s", d.Source)
	}
	// The socket's failure is not dropped: the operator learns why.
	if n := part.Coverage[FactDomains].Notes; len(n) != 1 || !strings.Contains(n[0], "kvm-h1 (h1)") || !strings.Contains(n[0], "forwarding "+collectors.DefaultLibvirtSocket) {
		t.Errorf("coverage notes = %q", n)
	}
	if diff := cmp.Diff(wantDomains, d.Domains); diff != "" {
		t.Error(diff)
	}
}

// No libvirtd on the host: a per-host error, no facts, within a bound.
func TestNoLibvirtSocket(t *testing.T) {
	h, _ := startHost(t, testbed.HostConfig{})
	cfg := config(h, "qemu:///system")
	cfg.SSH.CommandTimeout = collectors.Duration(500 * time.Millisecond)
	cfg.SSH.ConnectTimeout = collectors.Duration(500 * time.Millisecond)
	start := time.Now()
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{
		Hosts: []collectors.Target{{UUID: "h1", Name: "kvm-h1", Address: h.Addr, Hypervisor: "KVM"}}})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s", took)
	}
	if len(part.Errors) != 1 || part.Hosts["h1"] != nil || part.Coverage[FactDomains].Failed["h1"] == "" {
		t.Fatalf("part = %+v", part)
	}
	t.Log(part.Errors[0].Error)
}

func TestParseVirshCaptured(t *testing.T) {
	b, err := os.ReadFile("testdata/virsh_fallback_testdriver.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseVirsh(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []collectors.Domain{wantDomains[0], wantDomains[2], wantDomains[1]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if _, err := parseVirsh([]byte("garbage-without-marker")); err == nil || strings.Contains(err.Error(), "garbage") {
		t.Errorf("err = %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, bad := range []collectors.LibvirtConfig{{Socket: "/run/x; rm -rf /"}, {URI: "qemu:///system?x=$(id)"}} {
		c := NewWithPool(&collectors.Config{Libvirt: &bad}, nil, nil)
		if c.err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
