package readiness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/database"
	"github.com/csaudit/csaudit/fixtures/readylab"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// Short names for the scenarios' helpers.
var uid = readylab.UUID

const (
	gib   = readylab.GiB
	kHost = readylab.KindHost
	kVM   = readylab.KindVM
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbed.StopSharedMariaDB()
	os.Exit(code)
}

const auditPW = "audit-pw-readiness"

var dbs struct {
	sync.Mutex
	loaded map[string]error
}

// cloudDB loads the scenarios (with extra settings) as schema once and
// grants the SELECT-only account on it.
func cloudDB(t testing.TB, schema string, extra ...string) *testbed.MariaDB {
	t.Helper()
	m := testbed.SharedMariaDB(t)
	dbs.Lock()
	defer dbs.Unlock()
	if dbs.loaded == nil {
		dbs.loaded = map[string]error{}
	}
	err, done := dbs.loaded[schema]
	if !done {
		err = m.LoadSchema(schema)
		if err == nil {
			err = m.LoadSQL(schema, strings.NewReader(readylab.SQL(extra...)))
		}
		if err == nil {
			err = m.CreateReadOnlyUser("auditor", auditPW, schema)
		}
		dbs.loaded[schema] = err
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// collect reads schema with the database collector and a SELECT-only
// account, as an audit does.
func collect(t testing.TB, m *testbed.MariaDB, schema string) *collectors.Snapshot {
	t.Helper()
	pf := filepath.Join(t.TempDir(), "db.pass")
	if err := os.WriteFile(pf, []byte(auditPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &collectors.Config{Database: &collectors.DatabaseConfig{DSN: m.DSN("auditor", schema), PasswordFile: pf}}
	p, err := database.New(cfg).Collect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) > 0 {
		t.Fatalf("collector errors: %+v", p.Errors)
	}
	s := collectors.NewSnapshot(collectors.Tool{Name: "csaudit", Version: "test"}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	collectors.Merge(s, p)
	s.Meta.Collectors[collectors.NameDatabase] = collectors.CollectorRun{Selected: true, Stage: 1, OK: true}
	return s
}
