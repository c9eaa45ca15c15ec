package hosts

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// A run cancelled (the runner's collector timeout) ends at once with every
// host failed and nothing invented.
func TestCancelledRun(t *testing.T) {
	_, cfg, targets := startSim(t, 40, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	c := New(cfg).(*Collector)
	// Hosts skipped on cancellation count in the progress too, so the
	// terminal line reaches done == total (and its final newline).
	var mu sync.Mutex
	calls, lastDone, lastTotal, lastFailed := 0, 0, 0, 0
	c.Progress = func(done, total, failed int) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		lastDone, lastTotal, lastFailed = max(lastDone, done), total, max(lastFailed, failed)
	}
	part, err := c.Collect(ctx, &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("cancelled run took %s", took)
	}
	if len(part.Hosts)+len(part.Errors) != 40 || len(part.Errors) == 0 {
		t.Errorf("%d hosts, %d errors", len(part.Hosts), len(part.Errors))
	}
	if calls != 40 || lastDone != 40 || lastTotal != 40 || lastFailed != len(part.Errors) {
		t.Errorf("progress: %d calls, last %d/%d done, %d failed; want 40 calls, 40/40, %d failed", calls, lastDone, lastTotal, lastFailed, len(part.Errors))
	}
}

// A host that authenticates and then answers nothing fails within the
// command timeout; the others are collected.
func TestHangAfterAuth(t *testing.T) {
	out, err := os.ReadFile(filepath.Join("testdata", "script_testbed.out"))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := testbed.StartSim(testbed.SimConfig{N: 4, Dir: t.TempDir(),
		Output: func(int, string) ([]byte, int) { return out, 0 },
		Hang:   func(i int) bool { return i == 2 }})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	no := false
	// Only the command timeout is short: the handshakes (slow under -race
	// on a loaded machine) are not what is tested.
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no, CommandTimeout: collectors.Duration(300 * time.Millisecond),
		ConnectTimeout: collectors.Duration(5 * time.Second)}}
	var targets []collectors.Target
	for i, a := range sim.Addrs {
		targets = append(targets, collectors.Target{UUID: "h" + strconv.Itoa(i), Address: a, Hypervisor: "KVM"})
	}
	start := time.Now()
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s", took)
	}
	if len(part.Hosts) != 3 || part.Hosts["h2"] != nil || len(part.Errors) != 1 ||
		!strings.Contains(part.Errors[0].Error, "no answer after authentication") {
		t.Fatalf("hosts %d, errors %+v", len(part.Hosts), part.Errors)
	}
}
