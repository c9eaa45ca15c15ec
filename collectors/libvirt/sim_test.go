package libvirt

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// simURI is the one libvirt.uri every simulated host's libvirtd serves: each
// daemon's own mount namespace holds its own node file at that path.
const simURI = "test:///etc/libvirt/node.xml"

// startLibvirtds starts one libvirtd per node file, side by side.
func startLibvirtds(t testing.TB, nodes [][]testbed.TestDomain) []*testbed.Libvirtd {
	t.Helper()
	ds := make([]*testbed.Libvirtd, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds[i], errs[i] = testbed.StartLibvirtd(filepath.Join(t.TempDir()), testbed.LibvirtConfig{},
				map[string]testbed.File{"/etc/libvirt/node.xml": {Data: testbed.NodeXML(n)}})
		}()
	}
	wg.Wait()
	t.Cleanup(func() { testbed.StopLibvirtds(ds) })
	for _, err := range errs {
		if errors.Is(err, testbed.ErrMissing) {
			testbed.Missing(t, err)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

// The simulator forwards each host's libvirt socket to that host's own real
// libvirtd: three daemons serving different domains under the same URI, the
// collector passing that URI unchanged, each host getting its own domains
// through go-libvirt, with the injected latency on the forwarded replies.
func TestSimulatorForwardsToRealLibvirtd(t *testing.T) {
	nodes := [][]testbed.TestDomain{testDomains[:1], testDomains[:2], testDomains}
	ds := startLibvirtds(t, nodes)
	const latency = 30 * time.Millisecond
	sim, err := testbed.StartSim(testbed.SimConfig{N: len(ds), Dir: t.TempDir(), Latency: latency,
		Output: func(int, string) ([]byte, int) { return nil, 127 },
		Socket: func(i int, path string) string {
			if path == collectors.DefaultLibvirtSocket {
				return filepath.Join(ds[i].Run, "libvirt-sock-ro")
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
		Libvirt: &collectors.LibvirtConfig{URI: simURI},
	}
	var targets []collectors.Target
	for i, a := range sim.Addrs {
		targets = append(targets, collectors.Target{UUID: string(rune('a' + i)), Name: "sim", Address: a, Hypervisor: "KVM"})
	}
	start := time.Now()
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Errors) != 0 {
		t.Fatalf("errors: %+v", part.Errors)
	}
	if n := len(part.Coverage[FactDomains].Notes); n != 0 {
		t.Errorf("coverage notes: %q", part.Coverage[FactDomains].Notes)
	}
	for i, tg := range targets {
		d := part.Hosts[tg.UUID].Domains
		if d.Source != "libvirt" {
			t.Errorf("%s: source %s", tg.UUID, d.Source)
		}
		if diff := cmp.Diff(wantDomains[:len(nodes[i])], d.Domains); diff != "" {
			t.Errorf("host %d: %s", i, diff)
		}
	}
	// The handshake, then at least open, list, stats and close through the
	// forwarding, each a reply held back by the latency (hosts in parallel).
	t.Logf("took %s", took)
	if took < 5*latency {
		t.Errorf("collected in %s: the forwarded replies were not delayed by %s", took, latency)
	}
}
