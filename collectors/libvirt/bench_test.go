package libvirt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/collectors/libvirt"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures/hostrender"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// BenchmarkCollect1000WithLibvirt runs both stage-2 SSH collectors on one
// pool against 1,000 simulated hosts with 20 ms latency: the batched script
// (output captured from the testbed's sshd) and 20 domains per host, either
// through the virsh fallback (the simulator refuses socket forwarding) or
// through go-libvirt over the forwarded socket to one real libvirtd shared by
// every host (forwarded replies delayed by the same latency).
// go test -run '^$' -bench Collect1000WithLibvirt -benchtime 1x ./collectors/libvirt/
func BenchmarkCollect1000WithLibvirt(b *testing.B) {
	b.Run("virsh", func(b *testing.B) { benchCollect1000(b, false) })
	b.Run("forwarded", func(b *testing.B) { benchCollect1000(b, true) })
}

func benchCollect1000(b *testing.B, forward bool) {
	script, err := os.ReadFile(filepath.Join("..", "hosts", "testdata", "script_testbed.out"))
	if err != nil {
		b.Fatal(err)
	}
	var doms []collectors.Domain
	for i := 0; i < 20; i++ {
		doms = append(doms, collectors.Domain{Name: "i-2-" + strconv.Itoa(100+i) + "-VM",
			UUID: "6f0d2a0e-1111-4a4a-9a9a-0000000001" + strconv.Itoa(10+i), State: "running", Reason: "booted"})
	}
	virsh := hostrender.Virsh(doms)
	simCfg := testbed.SimConfig{N: 1000, Latency: 20 * time.Millisecond, Dir: b.TempDir(),
		Output: func(_ int, cmd string) ([]byte, int) {
			if strings.HasPrefix(cmd, "virsh -r ") {
				return virsh, 0
			}
			return script, 0
		}}
	source := "virsh"
	var uri string
	if forward {
		tds := make([]testbed.TestDomain, len(doms))
		for i, d := range doms {
			tds[i] = testbed.TestDomain{Name: d.Name, UUID: d.UUID}
		}
		d, err := testbed.StartLibvirtd(b.TempDir(), testbed.LibvirtConfig{},
			map[string]testbed.File{"/etc/libvirt/node.xml": {Data: testbed.NodeXML(tds)}})
		if errors.Is(err, testbed.ErrMissing) {
			testbed.Missing(b, err)
		}
		if err != nil {
			b.Fatal(err)
		}
		defer d.Stop()
		sock := filepath.Join(d.Run, "libvirt-sock-ro")
		simCfg.Socket = func(int, string) string { return sock }
		source, uri = "libvirt", "test:///etc/libvirt/node.xml"
	}
	sim, err := testbed.StartSim(simCfg)
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	no := false
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no}, Libvirt: &collectors.LibvirtConfig{URI: uri}}
	var targets []collectors.Target
	for i, a := range sim.Addrs {
		targets = append(targets, collectors.Target{UUID: "u" + strconv.Itoa(i), Name: "kvm-" + strconv.Itoa(i), Address: a, Hypervisor: "KVM"})
	}
	inv := &collectors.Inventory{Hosts: targets, Selected: map[string]bool{"hosts": true, "libvirt": true}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pool, perr := sshpool.New(cfg)
		hc, lc := hosts.NewWithPool(pool, perr), libvirt.NewWithPool(cfg, pool, perr)
		start := time.Now()
		var wg sync.WaitGroup
		var hp, lp *collectors.Part
		wg.Add(2)
		go func() { defer wg.Done(); hp, _ = hc.Collect(context.Background(), inv) }()
		go func() { defer wg.Done(); lp, _ = lc.Collect(context.Background(), inv) }()
		wg.Wait()
		took := time.Since(start)
		if hp == nil || lp == nil || len(hp.Errors)+len(lp.Errors) != 0 || len(hp.Hosts) != 1000 || len(lp.Hosts) != 1000 {
			b.Fatalf("incomplete: %v %v", hp != nil && len(hp.Errors) == 0, lp != nil && len(lp.Errors) == 0)
		}
		if lp.Hosts["u7"].Domains.Source != source || len(lp.Hosts["u7"].Domains.Domains) != 20 {
			b.Fatalf("domains: %+v", lp.Hosts["u7"].Domains)
		}
		b.ReportMetric(took.Seconds(), "s/1000hosts")
		pool.Close()
	}
	b.ReportMetric(peakRSSMB(), "peakRSS_MB")
}

func peakRSSMB() float64 {
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
