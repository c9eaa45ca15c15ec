package remediate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
)

func TestLoadPlanErrors(t *testing.T) {
	dir := t.TempDir()
	secret := "CANARY-in-a-plan"
	for name, body := range map[string]string{
		"syntax":  `{"schema": "csaudit.fixplan/v1", "fixes": [` + secret,
		"schema":  `{"schema": "csaudit.snapshot/v1", "fixes": []}`,
		"unknown": `{"schema": "csaudit.fixplan/v1", "fixes": [], "run": "` + secret + `"}`,
		"type":    `{"schema": "csaudit.fixplan/v1", "fixes": "` + secret + `"}`,
	} {
		f := filepath.Join(dir, name+".json")
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadPlan(f)
		if err == nil || !strings.Contains(err.Error(), f) || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v", name, err)
		}
	}
	p := &Plan{Schema: PlanSchema, GeneratedAt: time.Unix(0, 0).UTC(), DBIdentity: "db:3306/cloud", Fixes: []Fix{}, Advice: []Advice{}}
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "ok.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadPlan(f); err != nil || got.DBIdentity != p.DBIdentity {
		t.Errorf("round trip: %+v %v", got, err)
	}
}

func TestFixIDFollowsContent(t *testing.T) {
	h := int64(4)
	r := report.Resource{Type: "vm", ID: "10", UUID: "u-10", Name: "i-2-10-VM"}
	b := Image{State: "Stopping", HostID: &h, UpdateCount: 7}
	id := FixID(TypeStoppingToStopped, r, b)
	if id != FixID(TypeStoppingToStopped, r, b) {
		t.Fatal("not stable")
	}
	r2, b2 := r, b
	r2.ID = "11"
	b2.UpdateCount = 8
	for _, other := range []string{FixID(TypeStartingToStopped, r, b), FixID(TypeStoppingToStopped, r2, b), FixID(TypeStoppingToStopped, r, b2)} {
		if other == id {
			t.Errorf("%s did not change with the content", id)
		}
	}
}

// Values shown in a fix's display text are SQL literals, whatever they hold.
func TestDisplaySQLQuotes(t *testing.T) {
	got := displaySQL("a = ? AND b = ? AND c = ?", []any{"x' OR '1'='1\\", nil, int64(3)})
	want := `a = 'x'' OR ''1''=''1\\' AND b = NULL AND c = 3`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if q := shQuote("i-2-1'; rm -rf /"); q != `'i-2-1'\''; rm -rf /'` {
		t.Errorf("shQuote = %s", q)
	}
}

func TestJournalRefusesOpenDirAndBadLines(t *testing.T) {
	open := t.TempDir()
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := (&Journal{Dir: open}).Append(Entry{ID: "x"}); err == nil || !strings.Contains(err.Error(), "0755") {
		t.Errorf("open dir: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "j")
	j := &Journal{Dir: dir}
	if err := j.Append(Entry{ID: "a", Op: "apply"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, JournalFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{not json CANARY-x\n")
	f.Close()
	if _, err := j.Entries(); err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("bad line: %v", err)
	}
}

// A fix account that cannot connect: the error names the account and the
// address, never the password, whichever way it was given.
func TestFixDBErrorsHoldNoPassword(t *testing.T) {
	secret := "CANARY-fixdb-pw-77"
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, db := range map[string]*collectors.DatabaseConfig{
		"in dsn":   {DSN: "ro@tcp(127.0.0.1:1)/cloud", FixDSN: "fix:" + secret + "@tcp(127.0.0.1:1)/cloud"},
		"bad dsn":  {DSN: "ro@tcp(127.0.0.1:1)/cloud", FixDSN: "fix:" + secret + "@tcp(127.0.0.1:1/cloud"},
		"file":     {DSN: "ro@tcp(127.0.0.1:1)/cloud", FixDSN: "fix@tcp(127.0.0.1:1)/cloud", FixPasswordFile: pwFile},
		"no fixdn": {DSN: "ro:" + secret + "@tcp(127.0.0.1:1)/cloud"},
	} {
		db, _, err := OpenFixDB(&collectors.Config{Database: db}, func(string) string { return "" })
		if err == nil {
			_, err = Identity(context.Background(), db)
			db.Close()
		}
		t.Logf("%s: %v", name, err)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
