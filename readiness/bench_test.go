package readiness

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/database"
	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/report"
)

// BenchmarkHostOf1000 judges one host of a generated 1,000-host / 50,000-VM
// lab, collected from the real MariaDB by the database collector. Loading
// and collecting are not timed (the collection's duration is reported as
// collect-s); the timed part is what readiness adds: resolving the name,
// the simulation and the report.
//
//	go test ./readiness -run '^$' -bench HostOf1000 -benchtime 5x
func BenchmarkHostOf1000(b *testing.B) {
	m := cloudDB(b, "ready") // starts the server and the auditor account
	const schema = "bench1000"
	if err := m.LoadSchema(schema); err != nil {
		b.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(labgen.Write(pw, labgen.Options{Seed: 7, Hosts: 1000, VMs: 50000})) }()
	if err := m.LoadSQL(schema, pr); err != nil {
		b.Fatal(err)
	}
	if err := m.Exec(schema, "GRANT SELECT, SHOW VIEW ON "+schema+".* TO 'auditor'@'127.0.0.1'"); err != nil {
		b.Fatal(err)
	}
	pf := filepath.Join(b.TempDir(), "db.pass")
	if err := os.WriteFile(pf, []byte(auditPW+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := &collectors.Config{Database: &collectors.DatabaseConfig{DSN: m.DSN("auditor", schema), PasswordFile: pf}}
	start := time.Now()
	p, err := database.NewAt(cfg, labgen.DefaultNow).Collect(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	collect := time.Since(start)
	s := collectors.NewSnapshot(collectors.Tool{Name: "csaudit", Version: "bench"}, labgen.DefaultNow)
	collectors.Merge(s, p)
	const host = "kvm-c01-h0001"
	var moves int
	b.ResetTimer()
	for b.Loop() {
		tg, err := Resolve(s, host, "")
		if err != nil {
			b.Fatal(err)
		}
		res, err := Judge(s, tg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		r := &report.Report{}
		res.Apply(r)
		moves = len(res.Readiness.Hosts[0].Moves)
	}
	b.StopTimer()
	b.ReportMetric(collect.Seconds(), "collect-s")
	b.ReportMetric(float64(len(s.DB["vm_instance"])), "vm-rows")
	b.ReportMetric(float64(moves), "moves")
}
