package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/fixtures/readylab"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/report"
)

// TestReadinessCommand runs `csaudit readiness` against the readiness
// scenarios in a real MariaDB, collected with a SELECT-only account.
func TestReadinessCommand(t *testing.T) {
	m := testbed.SharedMariaDB(t)
	const schema = "readycli"
	if err := m.LoadSchema(schema); err != nil {
		t.Fatal(err)
	}
	if err := m.LoadSQL(schema, strings.NewReader(readylab.SQL())); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateReadOnlyUser("ready_ro", "ready-pw-K2", schema); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pw := filepath.Join(dir, "db.pass")
	if err := os.WriteFile(pw, []byte("ready-pw-K2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("database:\n  dsn: "+quoteYAML(m.DSN("ready_ro", schema))+"\n  password_file: "+quoteYAML(pw)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) result {
		return csaudit(t, append([]string{"readiness", "--config", cfg, "--collectors", "database"}, args...)...)
	}

	out := filepath.Join(dir, "go")
	r := run("--host", "c03-h1", "--format", "table,json,html,csv,junit,sarif,prom,pdf", "--out", out)
	if r.code() != 0 {
		t.Fatalf("go host: exit %d, %v\n%s%s", r.code(), r.err, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Readiness for maintenance of host c03-h1: GO") || !strings.Contains(r.stdout, "vm-301") {
		t.Errorf("table:\n%s", r.stdout)
	}
	for _, f := range pipeline.Formats {
		if f.File == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(out, f.File)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f.File, err)
		}
	}
	js, err := os.ReadFile(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "../../docs/schema/report.schema.json", js)
	var rep report.Report
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	if rd := rep.Readiness; rd == nil || rd.Verdict != report.Go || len(rd.Hosts) != 1 || len(rd.Hosts[0].Moves) != 1 ||
		rd.Hosts[0].Moves[0].To.Name != "c03-h2" || rep.Snapshot.File != pipeline.SnapshotFile {
		t.Errorf("report readiness: %+v", rep.Readiness)
	}
	for _, c := range rep.Checks {
		if !strings.HasPrefix(c.ID, "CSA-READY-") {
			t.Errorf("readiness report carries audit check %s", c.ID)
		}
	}

	// The saved evidence gives the same verdict without the database.
	r = csaudit(t, "readiness", "--snapshot", filepath.Join(out, pipeline.SnapshotFile), "--host", "c03-h1", "--format", "json")
	var again report.Report
	if err := json.Unmarshal([]byte(r.stdout), &again); r.code() != 0 || err != nil || again.Readiness == nil ||
		again.Readiness.Hosts[0].Moves[0].To.Name != "c03-h2" || again.Snapshot.SHA256 != rep.Snapshot.SHA256 {
		t.Errorf("--snapshot: exit %d, %v, %v", r.code(), r.err, err)
	}

	r = run("--host", "c05-h1", "--format", "json")
	if r.code() != 1 || !strings.Contains(r.stdout, "cluster.memory.allocated.capacity.disablethreshold") {
		t.Errorf("no-go host: exit %d, %v\n%s", r.code(), r.err, r.stdout)
	}
	r = run("--cluster", "c24-drain")
	if r.code() != 1 || !strings.Contains(r.stdout, "The drain would stop at host c24-h3.") {
		t.Errorf("cluster drain: exit %d, %v\n%s", r.code(), r.err, r.stdout)
	}
	r = run("--host", "no-such-host")
	if r.code() != 2 || !strings.Contains(r.err.Error(), `no host named "no-such-host"`) {
		t.Errorf("unknown host: exit %d, %v", r.code(), r.err)
	}
	r = run("--host", "dup-host")
	if r.code() != 2 || !strings.Contains(r.err.Error(), readylab.UUID(readylab.KindHost, 271)) || !strings.Contains(r.err.Error(), readylab.UUID(readylab.KindHost, 281)) {
		t.Errorf("ambiguous host: exit %d, %v", r.code(), r.err)
	}
	r = run("--host", "dup-host", "--cluster", "c28-dup")
	if r.code() == 2 {
		t.Errorf("host within its cluster: %v", r.err)
	}
	r = run()
	if r.code() != 2 {
		t.Errorf("neither --host nor --cluster: exit %d", r.code())
	}
	r = run("--host", "c03-h1", "--format", "bogus")
	if r.code() != 2 {
		t.Errorf("unknown format: exit %d", r.code())
	}
}

func TestReadinessLab(t *testing.T) {
	r := csaudit(t, "readiness", "--lab", "--host", "nope")
	if r.code() != 2 || !strings.Contains(r.err.Error(), `no host named "nope"`) {
		t.Fatalf("unknown host: exit %d, %v", r.code(), r.err)
	}
	r = csaudit(t, "readiness", "--lab", "--host", "kvm-c01")
	if r.code() != 2 || !strings.Contains(r.err.Error(), "kvm-c01-h0001") {
		t.Fatalf("partial name lists candidates: exit %d, %v", r.code(), r.err)
	}
}
