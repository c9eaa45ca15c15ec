package hosts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// startSim runs n simulated hosts answering the batched script with the
// output captured from the testbed's real sshd (testdata/script_testbed.out).
func startSim(tb testing.TB, n int, latency time.Duration) (*testbed.Sim, *collectors.Config, []collectors.Target) {
	tb.Helper()
	out, err := os.ReadFile(filepath.Join("testdata", "script_testbed.out"))
	if err != nil {
		tb.Fatal(err)
	}
	sim, err := testbed.StartSim(testbed.SimConfig{N: n, Latency: latency, Dir: tb.TempDir(),
		Output: func(int, string) ([]byte, int) { return out, 0 }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sim.Close)
	no := false
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no}}
	targets := make([]collectors.Target, n)
	for i, a := range sim.Addrs {
		targets[i] = collectors.Target{ID: strconv.Itoa(i + 1), UUID: "sim-" + strconv.Itoa(i), Name: "kvm-" + strconv.Itoa(i), Address: a, Hypervisor: "KVM"}
	}
	return sim, cfg, targets
}

func TestSimulatedHosts(t *testing.T) {
	_, cfg, targets := startSim(t, 50, 5*time.Millisecond)
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Errors) != 0 || len(part.Hosts) != 50 {
		t.Fatalf("%d hosts, errors %+v", len(part.Hosts), part.Errors)
	}
	if got := part.Hosts["sim-7"].Properties.Values["host"]; got != "192.0.2.1" {
		t.Errorf("host = %q", got)
	}
}

func peakRSSMB(tb testing.TB) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkCollect1000 is the target: 1,000 simulated hosts with
// 20 ms injected latency, default concurrency (32). The simulator runs in the
// same process, so the peak RSS reported includes it. Run with
// go test -run '^$' -bench Collect1000 -benchtime 1x ./collectors/hosts/
func BenchmarkCollect1000(b *testing.B) {
	sim, cfg, targets := startSim(b, 1000, 20*time.Millisecond)
	b.ResetTimer()
	var ours time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
		if err != nil {
			b.Fatal(err)
		}
		if len(part.Errors) != 0 || len(part.Hosts) != 1000 {
			b.Fatalf("%d hosts collected, %d errors (first: %+v)", len(part.Hosts), len(part.Errors), part.Errors[:min(1, len(part.Errors))])
		}
		ours = time.Since(start)
		b.ReportMetric(ours.Seconds(), "s/1000hosts")
	}
	b.StopTimer()
	// The same script to the same hosts with parallel-ssh (Debian pssh) at the
	// same concurrency and with strict host-key checking, in the same run.
	if pssh, err := testbed.Need("pssh", "parallel-ssh"); err == nil {
		dir := b.TempDir()
		var hostsFile strings.Builder
		for _, a := range sim.Addrs {
			hostsFile.WriteString("root@" + a + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(hostsFile.String()), 0o600); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(pssh, "-h", filepath.Join(dir, "hosts"), "-p", strconv.Itoa(collectors.DefaultSSHConcurrency), "-t", "120",
			"-o", filepath.Join(dir, "out"), "-O", "StrictHostKeyChecking=yes", "-O", "UserKnownHostsFile="+sim.KnownHostsFile,
			"-O", "IdentityFile="+sim.ClientKeyFile, "-O", "IdentitiesOnly=yes", "-O", "BatchMode=yes", standard.script)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(start)
		if err != nil {
			b.Fatalf("parallel-ssh: %v\n%s", err, out[max(0, len(out)-2000):])
		}
		if n := strings.Count(string(out), "[SUCCESS]"); n != len(sim.Addrs) {
			b.Fatalf("parallel-ssh: %d of %d hosts succeeded", n, len(sim.Addrs))
		}
		b.ReportMetric(took.Seconds(), "pssh_s/1000hosts")
		b.ReportMetric(took.Seconds()/ours.Seconds(), "speedup_vs_pssh")
	} else {
		b.Logf("no comparison: %v", err)
	}
	b.ReportMetric(peakRSSMB(b), "peakRSS_MB")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}

func TestProgress(t *testing.T) {
	_, cfg, targets := startSim(t, 5, 0)
	var sb strings.Builder
	c := New(cfg).(*Collector)
	c.Progress = TerminalProgress(&sb)
	if _, err := c.Collect(context.Background(), &collectors.Inventory{Hosts: targets}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(sb.String(), "\rhosts: 5/5 done, 0 failed\n") {
		t.Errorf("progress = %q", sb.String())
	}
}
