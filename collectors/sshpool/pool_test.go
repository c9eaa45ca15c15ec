package sshpool

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// startSim runs n simulated hosts that answer every command with "ok".
func startSim(t *testing.T, n int) (*collectors.Config, []collectors.Target) {
	t.Helper()
	sim, err := testbed.StartSim(testbed.SimConfig{N: n, Dir: t.TempDir(),
		Output: func(int, string) ([]byte, int) { return []byte("ok\n"), 0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	no := false
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no}}
	targets := make([]collectors.Target, n)
	for i, a := range sim.Addrs {
		targets[i] = collectors.Target{UUID: "sim-" + string(rune('a'+i)), Name: "kvm-" + string(rune('a'+i)), Address: a, Hypervisor: "KVM"}
	}
	return cfg, targets
}

// Sharing: one dial per host whatever the order of Get and Done, and the
// connection closes when the last selected sharer is done.
func TestPoolSharing(t *testing.T) {
	cfg, targets := startSim(t, 1)
	inv := &collectors.Inventory{Selected: map[string]bool{"hosts": true, "libvirt": true}}
	tg := targets[0]
	ctx := context.Background()

	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.Register("hosts")
	p.Register("libvirt")
	a, err := p.Get(ctx, tg, inv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Get(ctx, tg, inv)
	if err != nil || b.Client != a.Client {
		t.Fatalf("second Get did not share the connection: %v", err)
	}
	p.Done(tg, inv)
	if _, _, err := a.Run(ctx, "x", 1<<20); err != nil {
		t.Fatalf("connection closed while a sharer still uses it: %v", err)
	}
	p.Done(tg, inv)
	if _, _, err := a.Run(ctx, "x", 1<<20); err == nil {
		t.Fatal("connection still open after the last sharer")
	}

	// A sharer that finishes before the other asks (a failed collector)
	// does not stop the other from dialling.
	p, _ = New(cfg)
	p.Register("hosts")
	p.Register("libvirt")
	p.Done(tg, inv)
	c, err := p.Get(ctx, tg, inv)
	if err != nil {
		t.Fatalf("Get after an early Done: %v", err)
	}
	p.Done(tg, inv)
	done := make(chan error, 1)
	go func() { _, _, err := c.Run(ctx, "x", 1<<20); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("connection not closed by the last sharer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run on a closed connection hung")
	}

	// Only hosts selected: one sharer.
	p, _ = New(cfg)
	p.Register("hosts")
	p.Register("libvirt")
	only := &collectors.Inventory{Selected: map[string]bool{"hosts": true}}
	c, _ = p.Get(ctx, tg, only)
	p.Done(tg, only)
	if _, _, err := c.Run(ctx, "x", 1<<20); err == nil {
		t.Fatal("connection kept open for a collector that is not selected")
	}
}

// EachKVM visits only KVM targets, at most Concurrency at a time; a target
// still waiting when the context ends goes to skipped, undialled.
func TestEachKVM(t *testing.T) {
	cfg, targets := startSim(t, 3)
	targets = append(targets, collectors.Target{UUID: "x", Name: "xen", Address: "192.0.2.1", Hypervisor: "XenServer"})
	cfg.SSH.Concurrency = 1
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	inv := &collectors.Inventory{Hosts: targets}
	var visited []string
	running, most := 0, 0
	p.EachKVM(context.Background(), inv, func(i int, tg collectors.Target) {
		running++ // Concurrency 1: no other fn runs now, so no lock is needed
		most = max(most, running)
		visited = append(visited, tg.Name)
		defer p.Done(tg, inv)
		c, err := p.Get(context.Background(), tg, inv)
		if err != nil {
			t.Errorf("%s: %v", tg.Name, err)
			running--
			return
		}
		if out, rc, err := c.Run(context.Background(), "x", 64); err != nil || rc != 0 || string(out) != "ok\n" {
			t.Errorf("%s: %q %d %v", tg.Name, out, rc, err)
		}
		running--
	}, func(i int, err error) { t.Errorf("%s skipped: %v", targets[i].Name, err) })
	if len(visited) != 3 || most != 1 || strings.Contains(strings.Join(visited, ","), "xen") {
		t.Errorf("visited %v, at most %d at once", visited, most)
	}

	// The first target holds the only slot while the run is cancelled: the
	// others, waiting for it, are skipped.
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	ran, skipped := 0, 0
	p.EachKVM(ctx, inv, func(int, collectors.Target) {
		mu.Lock()
		ran++
		mu.Unlock()
		cancel()
		time.Sleep(200 * time.Millisecond)
	}, func(_ int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err == context.Canceled {
			skipped++
		}
	})
	if ran != 1 || skipped != 2 {
		t.Errorf("cancelled: %d ran, %d skipped; want 1 and 2", ran, skipped)
	}
}
