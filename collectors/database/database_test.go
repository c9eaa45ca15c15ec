package database

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbed.StopSharedMariaDB()
	os.Exit(code)
}

const auditPW = "audit-pw-CANARY-not-in-output"

// canary secrets planted by labgen everywhere CloudStack keeps secrets.
var canary = testbed.NewCanary(16)

var lab struct {
	once sync.Once
	m    *testbed.MariaDB
	err  error
}

// labDB loads a generated lab (60 hosts, 600 VMs) as schema "lab" with a
// SELECT-only account "auditor".
func labDB(t testing.TB) *testbed.MariaDB {
	t.Helper()
	m := testbed.SharedMariaDB(t)
	lab.once.Do(func() {
		lab.m = m
		if lab.err = m.LoadSchema("lab"); lab.err != nil {
			return
		}
		lab.err = loadLab(m, "lab", labgen.Options{Seed: 1, Hosts: 60, VMs: 600})
		if lab.err == nil {
			lab.err = m.CreateReadOnlyUser("auditor", auditPW, "lab")
		}
	})
	if lab.err != nil {
		t.Fatal(lab.err)
	}
	return m
}

func loadLab(m *testbed.MariaDB, schema string, o labgen.Options) error {
	o.Secret = func(i int) string { return canary.Values[i%len(canary.Values)] }
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(labgen.Write(pw, o)) }()
	return m.LoadSQL(schema, pr)
}

func config(t testing.TB, m *testbed.MariaDB, user, pw, schema string) *collectors.Config {
	t.Helper()
	dir := t.TempDir()
	pf := filepath.Join(dir, "db.pass")
	if err := os.WriteFile(pf, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &collectors.Config{Database: &collectors.DatabaseConfig{DSN: m.DSN(user, schema), PasswordFile: pf}}
}

func collect(t testing.TB, cfg *collectors.Config) (*collectors.Part, error) {
	t.Helper()
	return NewAt(cfg, labgen.DefaultNow).Collect(context.Background(), nil)
}

// snapshotJSON merges the part into a snapshot and encodes it, as the CLI does.
func snapshotJSON(t testing.TB, p *collectors.Part) []byte {
	s := collectors.NewSnapshot(collectors.Tool{Name: "csaudit", Version: "test"}, labgen.DefaultNow)
	collectors.Merge(s, p)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func count(t testing.TB, m *testbed.MariaDB, schema, q string) int {
	t.Helper()
	db, err := m.Root(schema)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestCollectLabWithSelectOnlyAccount(t *testing.T) {
	m := labDB(t)
	p, err := collect(t, config(t, m, "auditor", auditPW, "lab"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Errors {
		t.Errorf("collector error: %+v", e)
	}
	if p.DBNow == nil || !p.DBNow.Equal(labgen.DefaultNow) {
		t.Errorf("db_now = %v, want the pinned clock %v", p.DBNow, labgen.DefaultNow)
	}
	// The pinned clock stands for the auditor's: offset 0, deterministic.
	if d := p.Database; d == nil || d.ClockOffsetMS == nil || *d.ClockOffsetMS != 0 || d.ClockUncertaintyMS == nil || *d.ClockUncertaintyMS != 0 {
		t.Errorf("pinned database clock: %+v", d)
	}
	// Every live VM, host (all types), volume, pool, job, management server.
	for table, q := range map[string]string{
		"vm_instance":   "SELECT COUNT(*) FROM vm_instance WHERE removed IS NULL OR removed > '2026-11-19 12:00:00'",
		"host":          "SELECT COUNT(*) FROM host WHERE removed IS NULL",
		"volumes":       "SELECT COUNT(*) FROM volumes WHERE removed IS NULL OR removed > '2026-11-19 12:00:00'",
		"storage_pool":  "SELECT COUNT(*) FROM storage_pool",
		"mshost":        "SELECT COUNT(*) FROM mshost",
		"async_job":     "SELECT COUNT(*) FROM async_job WHERE job_status = 0 OR last_updated > '2026-11-19 12:00:00'",
		"oobm":          "SELECT COUNT(*) FROM oobm",
		"domain_router": "SELECT COUNT(*) FROM domain_router",
		"op_ha_work":    "SELECT COUNT(*) FROM op_ha_work",
	} {
		if got, want := len(p.DB[table]), count(t, m, "lab", q); got != want || want == 0 {
			t.Errorf("db.%s has %d rows, want %d (%s)", table, got, want, q)
		}
		if c := p.Coverage["db."+table]; c == nil || len(c.Collected) != 1 || len(c.Failed) != 0 {
			t.Errorf("coverage db.%s = %+v", table, c)
		}
	}
	types := map[any]int{}
	for _, h := range p.DB["host"] {
		types[h.Get("type")]++
	}
	if types["Routing"] != 60 || types["SecondaryStorageVM"] != 1 || types["ConsoleProxy"] != 1 {
		t.Errorf("host types = %v", types)
	}
	// Column types: numbers, booleans, RFC 3339 times, NULLs.
	vm := p.DB["vm_instance"]["1"]
	if _, ok := vm.Get("host_id").(int64); !ok {
		t.Errorf("vm_instance host_id = %#v, want int64", vm.Get("host_id"))
	}
	if vm.Get("ha_enabled") != true {
		t.Errorf("ha_enabled of the SSVM = %#v, want true", vm.Get("ha_enabled"))
	}
	if s, _ := vm.Get("created").(string); !strings.HasSuffix(s, "Z") || !strings.Contains(s, "T") {
		t.Errorf("created = %#v, want RFC 3339 UTC", vm.Get("created"))
	}
	var stopped collectors.Row
	for _, v := range p.DB["vm_instance"] {
		if v.Get("state") == "Stopped" {
			stopped = v
			break
		}
	}
	if stopped.Get("id") == nil || stopped.Get("host_id") != nil {
		t.Errorf("a Stopped VM's host_id should be null: %v", stopped.Map())
	}
	expunging := 0
	for _, v := range p.DB["vm_instance"] {
		if v.Get("state") == "Expunging" && v.Get("removed") != nil {
			expunging++
		}
	}
	if expunging != 1 {
		t.Errorf("the recently removed Expunging VM must be collected, found %d", expunging)
	}
	if h := p.DB["host"]["7"]; h.Get("name") != "узел-kvm-0007" {
		t.Errorf("host 7 name = %q", h.Get("name"))
	}
	if p.DB["vm_instance_details"] == nil {
		t.Error("vm_instance_details missing")
	}
	for _, d := range p.DB["vm_instance_details"] {
		if n := d.Get("name"); n != "CpuNumber" && n != "CpuSpeed" && n != "memory" {
			t.Errorf("vm_instance_details row %v is not allowlisted", d.Map())
		}
	}

	// Settings: values, defaults for unset settings, overrides, secrets.
	s := p.Settings
	if v := s["integration.api.port"].Value; v == nil || *v != "8096" {
		t.Errorf("integration.api.port = %v", v)
	}
	if st := s["vm.ha.enabled"]; st.Value != nil || st.Default == nil || *st.Default != "true" || st.IsSet {
		t.Errorf("vm.ha.enabled (no configuration row) = %+v, want default true", st)
	}
	if got := s["mem.overprovisioning.factor"].Overrides["cluster"]["3"]; got != "6.0" {
		t.Errorf("mem.overprovisioning.factor cluster 3 override = %q, want 6.0 (memoryOvercommitRatio)", got)
	}
	if got := s["cpu.overprovisioning.factor"].Overrides["cluster"]["2"]; got != "4.0" {
		t.Errorf("cpu.overprovisioning.factor cluster 2 override = %q, want 4.0", got)
	}
	if got := s["minreq.sysvmtemplate.version"].Overrides["zone"]["1"]; got != "4.22.0" {
		t.Errorf("minreq.sysvmtemplate.version zone override = %q", got)
	}
	if got := s["allow.user.expunge.recover.vm"].Overrides["account"]["3"]; got != "true" {
		t.Errorf("account override = %q", got)
	}
	for _, name := range []string{"system.vm.password", "ldap.bind.password", "security.encryption.key", "cloudian.sso.key"} {
		st := s[name]
		if !st.Secret || st.Value != nil || st.Default != nil || !st.IsSet || st.EqualsDefault {
			t.Errorf("secret setting %s = %+v, want secret, set, no value", name, st)
		}
	}
	if st := s["system.vm.random.password"]; st.Secret || st.Value == nil || *st.Value != "false" {
		t.Errorf("system.vm.random.password is a Boolean, not a secret: %+v", st)
	}
	if len(s) < 900 {
		t.Errorf("only %d settings; settings.tsv declares 970", len(s))
	}
	for _, d := range p.DB["host_details"] {
		if d.Get("name") == "password" && (d.Get("value") != nil || d.Get("secret") != true || d.Get("is_set") != true) {
			t.Errorf("host_details password row = %v", d.Map())
		}
	}

	// Identity: a SELECT-only account that cannot write.
	id := p.Database
	if id == nil || id.CanWrite || id.Account != "auditor@127.0.0.1" || id.Schema != "lab" || id.CSVersion != "4.22.0.0" || id.Port != m.Port {
		t.Fatalf("identity = %+v", id)
	}
	for _, g := range id.Grants {
		if strings.Contains(g, "PASSWORD") || strings.Contains(g, "*") && strings.Contains(g, "'*") {
			t.Errorf("grant not redacted: %q", g)
		}
	}
	if p.DB["mysql_variables"]["read_only"].Get("value") == nil || p.DB["table_sizes"]["vm_instance"].Get("name") == nil {
		t.Error("mysql_variables or table_sizes missing")
	}
}

func globalStatus(t testing.TB, m *testbed.MariaDB) map[string]string {
	db, err := m.Root("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_insert','Com_update','Com_delete','Com_replace','Com_insert_select','Com_update_multi','Com_delete_multi','Com_create_table','Com_drop_table','Com_alter_table','Handler_write','Handler_update','Handler_delete')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// TestAuditMakesNoWrites runs the collector as CloudStack's own all-powerful
// account would (root here) and checks the server counted no write.
func TestAuditMakesNoWrites(t *testing.T) {
	m := labDB(t)
	if err := m.Exec("", "CREATE USER IF NOT EXISTS 'writer'@'127.0.0.1' IDENTIFIED BY 'w-pw'; GRANT ALL ON `lab`.* TO 'writer'@'127.0.0.1'"); err != nil {
		t.Fatal(err)
	}
	before := globalStatus(t, m)
	p, err := collect(t, config(t, m, "writer", "w-pw", "lab"))
	if err != nil {
		t.Fatal(err)
	}
	after := globalStatus(t, m)
	for _, k := range []string{"Com_insert", "Com_update", "Com_delete", "Com_replace", "Com_insert_select", "Com_update_multi", "Com_delete_multi", "Com_create_table", "Com_drop_table", "Com_alter_table"} {
		if before[k] != after[k] {
			t.Errorf("%s changed from %s to %s during the audit", k, before[k], after[k])
		}
	}
	// Handler_write counts internal temporary tables too; Handler_update and
	// Handler_delete count row changes in any table.
	for _, k := range []string{"Handler_update", "Handler_delete"} {
		if before[k] != after[k] {
			t.Errorf("%s changed from %s to %s during the audit", k, before[k], after[k])
		}
	}
	if !p.Database.CanWrite {
		t.Errorf("an account with ALL on lab.* must be reported as can_write: grants %q", p.Database.Grants)
	}
}

// TestSecretsNeverLeave looks for every planted secret in the encoded
// snapshot and in the error strings, for a good and a failing run.
func TestSecretsNeverLeave(t *testing.T) {
	m := labDB(t)
	p, err := collect(t, config(t, m, "auditor", auditPW, "lab"))
	if err != nil {
		t.Fatal(err)
	}
	out := snapshotJSON(t, p)
	canary.Check(t, "snapshot", out)
	for _, needle := range []string{auditPW, "lab-secret", "cloud-config"} {
		if bytes.Contains(out, []byte(needle)) {
			t.Errorf("snapshot contains %q", needle)
		}
	}
	// The planted places really hold the canaries (so the test can fail).
	planted := count(t, m, "lab", "SELECT (SELECT COUNT(*) FROM oobm WHERE password LIKE 'CANARY-%') + (SELECT COUNT(*) FROM async_job WHERE job_cmd_info LIKE '%CANARY-%')"+
		" + (SELECT COUNT(*) FROM configuration WHERE category IN ('Hidden','Secure') AND value LIKE 'CANARY-%') + (SELECT COUNT(*) FROM host_details WHERE name='password' AND value LIKE 'CANARY-%')"+
		" + (SELECT COUNT(*) FROM vm_instance WHERE vnc_password LIKE 'CANARY-%') + (SELECT COUNT(*) FROM cluster_details WHERE name='password')"+
		" + (SELECT COUNT(*) FROM user WHERE api_key LIKE 'CANARY-%' AND secret_key LIKE 'CANARY-%')")
	// Users holding keys are collected (as a flag), so the keys had every chance to leak.
	if n := count(t, m, "lab", "SELECT COUNT(*) FROM user WHERE api_key LIKE 'CANARY-%'"); n < 3 || len(p.DB["user"]) < n {
		t.Fatalf("%d users with planted keys, %d collected", n, len(p.DB["user"]))
	}
	if planted < 100 {
		t.Fatalf("only %d canaries planted", planted)
	}
	// A failing run: wrong password; its error must not carry it either.
	_, err = collect(t, config(t, m, "auditor", "wrong-"+auditPW, "lab"))
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	canary.Check(t, "error", []byte(err.Error()))
	if strings.Contains(err.Error(), auditPW) {
		t.Errorf("error quotes the password: %v", err)
	}
}

func TestClearErrors(t *testing.T) {
	m := labDB(t)
	t.Run("wrong password", func(t *testing.T) {
		p, err := collect(t, config(t, m, "auditor", "nope", "lab"))
		if err == nil || !strings.Contains(err.Error(), "1045") || !strings.Contains(err.Error(), "auditor@127.0.0.1:") {
			t.Fatalf("err = %v, want Access denied (1045) naming auditor@addr/lab", err)
		}
		if c := p.Coverage["db.vm_instance"]; c == nil || c.Failed["vm_instance"] == "" {
			t.Errorf("coverage must show vm_instance failed: %+v", c)
		}
		if c := p.Coverage["settings"]; c == nil || len(c.Failed) == 0 {
			t.Errorf("coverage must show settings failed: %+v", c)
		}
	})
	t.Run("closed port", func(t *testing.T) {
		port, _ := testbed.FreePort()
		cfg := &collectors.Config{Database: &collectors.DatabaseConfig{DSN: fmt.Sprintf("auditor:x@tcp(127.0.0.1:%d)/lab", port)}}
		_, err := collect(t, cfg)
		if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "auditor:x") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("upgrade in progress", func(t *testing.T) {
		if err := m.Exec("", "CREATE DATABASE IF NOT EXISTS upg; CREATE TABLE IF NOT EXISTS upg.version LIKE lab.version; CREATE TABLE IF NOT EXISTS upg.vm_instance LIKE lab.vm_instance;"+
			"INSERT IGNORE INTO upg.version SELECT * FROM lab.version; INSERT IGNORE INTO upg.version (id, version, updated, step) VALUES (1000, '4.23.0.0', '2026-11-20 11:00:00', 'Upgrade');"+
			"GRANT SELECT ON upg.* TO 'auditor'@'127.0.0.1'"); err != nil {
			t.Fatal(err)
		}
		p, err := collect(t, config(t, m, "auditor", auditPW, "upg"))
		if !errors.Is(err, ErrUpgradeInProgress) || !strings.Contains(err.Error(), "4.23.0.0") {
			t.Fatalf("err = %v, want ErrUpgradeInProgress naming 4.23.0.0", err)
		}
		if len(p.DB["vm_instance"]) != 0 || p.Settings != nil {
			t.Error("nothing but the version table may be read during an upgrade")
		}
	})
	t.Run("missing table, missing newer table, missing column, renamed table, non-UTF-8 name", func(t *testing.T) {
		if err := m.LoadSchema("old"); err != nil {
			t.Fatal(err)
		}
		if err := loadLab(m, "old", labgen.Options{Seed: 2}); err != nil {
			t.Fatal(err)
		}
		if err := m.Exec("old", "DROP TABLE router_health_check; DROP TABLE webhook_delivery, webhook; ALTER TABLE vm_instance DROP COLUMN display_name; RENAME TABLE vm_instance_details TO user_vm_details;"+
			"ALTER TABLE host_pod_ref MODIFY name VARBINARY(255); UPDATE host_pod_ref SET name = X'706f64ff2d31' WHERE id = 1;"+
			"UPDATE vm_instance SET power_host = NULL, power_state_update_time = NULL WHERE id = 1;"+
			"ALTER TABLE configuration MODIFY scope VARCHAR(255); UPDATE configuration SET scope = 'Global';"+ // before 4.21 scope was a name
			"GRANT SELECT ON old.* TO 'auditor'@'127.0.0.1'"); err != nil {
			t.Fatal(err)
		}
		p, err := collect(t, config(t, m, "auditor", auditPW, "old"))
		if err != nil {
			t.Fatal(err)
		}
		c := p.Coverage["db.router_health_check"]
		if c == nil || !strings.Contains(c.Failed["router_health_check"], "does not exist") {
			t.Errorf("coverage db.router_health_check = %+v", c)
		}
		if len(p.Errors) != 1 || p.Errors[0].Target != "router_health_check" {
			t.Errorf("collector errors = %+v, want one for router_health_check", p.Errors)
		}
		// A table added in a later release is absent, not failed: no rows.
		if c := p.Coverage["db.webhook"]; c == nil || len(c.Failed) != 0 || len(c.Collected) != 1 || !strings.Contains(strings.Join(c.Notes, ";"), "added in 4.20") {
			t.Errorf("coverage db.webhook = %+v", c)
		}
		if tab, ok := p.DB["webhook"]; !ok || len(tab) != 0 {
			t.Errorf("db.webhook = %v, want present and empty", tab)
		}
		if c := p.Coverage["db.vm_instance"]; c == nil || !strings.Contains(strings.Join(c.Notes, ";"), "vm_instance.display_name") || len(p.DB["vm_instance"]) == 0 {
			t.Errorf("coverage db.vm_instance = %+v (rows %d)", c, len(p.DB["vm_instance"]))
		}
		if c := p.Coverage["db.vm_instance_details"]; c == nil || !strings.Contains(strings.Join(c.Notes, ";"), "user_vm_details") {
			t.Errorf("coverage db.vm_instance_details = %+v", c)
		}
		if got := p.DB["host_pod_ref"]["1"].Get("name"); got != "pod\uFFFD-1" {
			t.Errorf("non-UTF-8 pod name = %q, want pod\\uFFFD-1", got)
		}
		if v := p.DB["vm_instance"]["1"]; v.Get("power_host") != nil || v.Get("power_state_update_time") != nil {
			t.Errorf("NULLs: %v", v)
		}
		if st := p.Settings["integration.api.port"]; st.Scope != "Global" || st.Value == nil {
			t.Errorf("pre-4.21 string scope: %+v", st)
		}
		if _, err := json.Marshal(p.DB); err != nil {
			t.Error(err)
		}
	})
}

// The database clock against the auditor's, read from a real server: the
// same machine's clock through New (offset within its uncertainty), and a
// session clock set 5 s ahead (the sign and size of a real skew).
func TestDatabaseClockOffset(t *testing.T) {
	m := labDB(t)
	p, err := New(config(t, m, "auditor", auditPW, "lab")).Collect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Database
	if d == nil || d.ClockOffsetMS == nil || d.ClockUncertaintyMS == nil {
		t.Fatalf("database clock not recorded: %+v", d)
	}
	off, unc := *d.ClockOffsetMS, *d.ClockUncertaintyMS
	t.Logf("same machine: offset %.3f ms ± %.3f ms", off, unc)
	if unc <= 0 || unc > 500 || off > unc+5 || off < -unc-5 {
		t.Errorf("same clock measured as %.3f ms ± %.3f ms", off, unc)
	}

	ctx := context.Background()
	conn := rootConn(t, m)
	ahead := time.Now().Add(5 * time.Second)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION timestamp = %d.%06d", ahead.Unix(), ahead.Nanosecond()/1000)); err != nil {
		t.Fatal(err)
	}
	r := &reader{conn: conn, part: &collectors.Part{}}
	r.readClock(ctx)
	if r.offErr != "" || r.offset == nil {
		t.Fatalf("readClock: %q", r.offErr)
	}
	// The pinned session clock stands still while ours runs on.
	if *r.offset > 5000 || *r.offset < 4500 {
		t.Errorf("a clock 5 s ahead measured as %.3f ms", *r.offset)
	}
}

// TestCollectEarlyHandsOverInventory: against the real lab database, early
// gets the inventory tables — the very ones the finished part holds — with
// the clock, before the large tables are read, and the part is Collect's.
func TestCollectEarlyHandsOverInventory(t *testing.T) {
	m := labDB(t)
	cfg := config(t, m, "auditor", auditPW, "lab")
	var got *collectors.Part
	var tablesThen int
	c := NewAt(cfg, labgen.DefaultNow).(*Collector)
	var r *collectors.Part
	p, err := c.CollectEarly(context.Background(), nil, func(e *collectors.Part) {
		if got != nil {
			t.Error("early called twice")
		}
		got = e
		tablesThen = len(e.DB)
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err = collect(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("early was not called")
	}
	if tablesThen != len(collectors.InventoryTables) || got.DBNow == nil || got.Database == nil || got.Database.ClockOffsetMS == nil {
		t.Errorf("early part: %d tables, db_now %v, identity %+v", tablesThen, got.DBNow, got.Database)
	}
	for _, name := range collectors.InventoryTables {
		if len(got.DB[name]) == 0 || len(got.DB[name]) != len(p.DB[name]) {
			t.Errorf("%s: %d rows early, %d in the part", name, len(got.DB[name]), len(p.DB[name]))
		}
	}
	if string(snapshotJSON(t, p)) != string(snapshotJSON(t, r)) {
		t.Error("CollectEarly's part differs from Collect's")
	}
}
