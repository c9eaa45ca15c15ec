package ipmi

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/database"
	"github.com/csaudit/csaudit/fixtures/evaltest"
	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/report"
)

// TestEndToEndWithTheDatabaseCollector runs the real database collector on the
// generated lab cloud in MariaDB (SELECT-only account), then this collector on
// the oobm rows it found, pointed at ipmi_sim BMCs, then the checks. It proves
// that the column types the database collector emits are what the checks read.
func TestEndToEndWithTheDatabaseCollector(t *testing.T) {
	needSims(t)
	m := testbed.SharedMariaDB(t)
	if err := m.LoadSchema("ipmilab"); err != nil {
		t.Fatal(err)
	}
	canaries := testbed.NewCanary(4)
	var lab bytes.Buffer
	if err := labgen.Write(&lab, labgen.Options{Seed: 7, Secret: func(i int) string { return canaries.Values[i%4] }}); err != nil {
		t.Fatal(err)
	}
	if err := m.Exec("ipmilab", lab.String()); err != nil {
		t.Fatal(err)
	}
	silent, err := testbed.StartSilentPeer()
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closedPort, err := testbed.FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	port := func(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }
	// Every BMC of the lab answers on a closed loopback port, except three.
	stmts := "UPDATE oobm SET address='127.0.0.1', port='" + port(net.JoinHostPort("127.0.0.1", itoa(closedPort))) + "';\n" +
		"UPDATE oobm SET port='" + port(healthy.Addr()) + "' WHERE host_id=(SELECT MIN(host_id) FROM oobm WHERE power_state='On');\n"
	if err := m.Exec("ipmilab", stmts); err != nil {
		t.Fatal(err)
	}
	var healthyHost, silentHost, wrongHost string
	db, err := m.Root("ipmilab")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow("SELECT CAST(host_id AS CHAR) FROM oobm WHERE port=?", port(healthy.Addr())).Scan(&healthyHost); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT CAST(host_id AS CHAR) FROM oobm WHERE host_id<>? AND power_state='On' ORDER BY host_id LIMIT 2", healthyHost)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*string{&silentHost, &wrongHost} {
		rows.Next()
		if err := rows.Scan(p); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if err := m.Exec("ipmilab", "UPDATE oobm SET port='"+port(silent.Addr())+"' WHERE host_id="+silentHost+";\n"+
		"UPDATE oobm SET port='"+port(otherpw.Addr())+"' WHERE host_id="+wrongHost+";"); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateReadOnlyUser("e2eauditor", "auditpw-Q1", "ipmilab"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "db.pass")
	if err := os.WriteFile(pwFile, []byte("auditpw-Q1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &collectors.Config{
		Database: &collectors.DatabaseConfig{DSN: m.DSN("e2eauditor", "ipmilab"), PasswordFile: pwFile},
		IPMI: &collectors.IPMIConfig{Enabled: true, Sessions: true, Username: "admin", Password: canary,
			CipherSuite: intp(3), Timeout: collectors.Duration(time.Second)},
	}
	r := &collectors.Runner{
		Collectors: []collectors.Collector{database.NewAt(cfg, labgen.DefaultNow), New(cfg)},
		Selected:   cfg.EnabledCollectors(),
	}
	start := time.Now()
	snap, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	for _, e := range snap.CollectorErrors {
		t.Errorf("collector error: %+v", e)
	}
	if n := len(snap.OOBM); n == 0 || n != len(snap.DB["oobm"]) {
		t.Fatalf("%d BMC facts for %d oobm rows", n, len(snap.DB["oobm"]))
	}
	b, err := snap.Encode()
	if err != nil {
		t.Fatal(err)
	}
	checks, findings := evaltest.Evaluate(t, b)
	byHost := map[string][]string{}
	for _, f := range findings {
		if strings.HasPrefix(f.CheckID, "CSA-OOBM-") && f.Resource.Type == "host" {
			byHost[f.Resource.ID] = append(byHost[f.Resource.ID], f.CheckID)
			if f.Resource.ID == healthyHost && f.Severity.Rank() <= report.Medium.Rank() {
				t.Errorf("healthy BMC host %s: %s %s %s", healthyHost, f.Severity, f.CheckID, f.Message)
			}
		}
	}
	if !contains(byHost[silentHost], "CSA-OOBM-001") || !contains(byHost[wrongHost], "CSA-OOBM-002") {
		t.Errorf("silent host %s: %v; wrong-password host %s: %v", silentHost, byHost[silentHost], wrongHost, byHost[wrongHost])
	}
	for _, c := range checks {
		if strings.HasPrefix(c.ID, "CSA-OOBM-") && c.Status == report.Error {
			t.Errorf("%s is in error on a real database snapshot: %s", c.ID, c.StatusReason)
		}
	}
	fb, _ := json.Marshal(findings)
	canaries.Check(t, "snapshot", b)
	canaries.Check(t, "findings", fb)
	for _, pw := range []string{canary, "auditpw-Q1", "Rotated-pw-2026"} {
		if bytes.Contains(b, []byte(pw)) || bytes.Contains(fb, []byte(pw)) {
			t.Errorf("password %q leaked", pw)
		}
	}
	t.Logf("%d BMCs (1 healthy, 1 silent, 1 wrong password, rest closed ports) in %s; OOBM findings by host id: %v", len(snap.OOBM), elapsed, byHost)
}

func itoa(n int) string { return strconv.Itoa(n) }
