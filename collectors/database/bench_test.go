package database

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/csaudit/csaudit/collectors"

	"github.com/csaudit/csaudit/fixtures/labgen"
)

// BenchmarkCollect100k collects a generated 100,000-VM / 2,000-host cloud
// (plus routers, system VMs, ~130,000 volumes, jobs, details) from the real
// MariaDB. Loading the lab takes a few minutes and is not timed. Reports the
// process's peak RSS (the server is a separate process).
//
//	go test ./collectors/database -run '^$' -bench Collect100k -benchtime 3x
//
// CSAUDIT_BENCH_DSN (user:password@tcp(host:port)/schema) points the
// benchmark at an already loaded lab instead, for profiling.
func BenchmarkCollect100k(b *testing.B) {
	var cfg *collectors.Config
	if dsn := os.Getenv("CSAUDIT_BENCH_DSN"); dsn != "" {
		cfg = &collectors.Config{Database: &collectors.DatabaseConfig{DSN: dsn}}
	} else {
		m := labDB(b) // also creates the auditor account
		if err := m.LoadSchema("bench"); err != nil {
			b.Fatal(err)
		}
		if err := loadLab(m, "bench", labgen.Options{Seed: 4, Hosts: 2000, VMs: 100000}); err != nil {
			b.Fatal(err)
		}
		if err := m.Exec("bench", "GRANT SELECT, SHOW VIEW ON bench.* TO 'auditor'@'127.0.0.1'; ANALYZE TABLE vm_instance, volumes, host, user_vm, nics, vm_instance_details, async_job"); err != nil {
			b.Fatal(err)
		}
		cfg = config(b, m, "auditor", auditPW, "bench")
	}
	runtime.GC()
	b.ResetTimer()
	var vms int
	var live uint64
	for b.Loop() {
		p, err := NewAt(cfg, labgen.DefaultNow).Collect(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Errors) > 0 {
			b.Fatalf("collector errors: %+v", p.Errors)
		}
		vms = len(p.DB["vm_instance"])
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = ms.HeapAlloc
		runtime.KeepAlive(p)
		b.StartTimer()
	}
	b.StopTimer()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
	b.ReportMetric(float64(vms), "vm-rows")
	b.ReportMetric(float64(live)/(1<<20), "live-heap-MB")
}
