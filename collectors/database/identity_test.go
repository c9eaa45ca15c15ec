package database

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/fixtures/testbed"
)

func TestCanWriteAndRedactGrant(t *testing.T) {
	for _, tc := range []struct {
		grants []string
		want   bool
	}{
		{[]string{"GRANT USAGE ON *.* TO `a`@`%`", "GRANT SELECT, SHOW VIEW ON `cloud`.* TO `a`@`%`"}, false},
		{[]string{"GRANT SELECT ON *.* TO `a`@`%`"}, false},
		{[]string{"GRANT ALL PRIVILEGES ON `cloud`.* TO `cloud`@`localhost`"}, true},
		{[]string{"GRANT SELECT, INSERT ON `cloud`.* TO `a`@`%`"}, true},
		{[]string{"GRANT UPDATE (`state`, `update_count`) ON `cloud`.`vm_instance` TO `fix`@`%`"}, true},
		{[]string{"GRANT INSERT ON `cloud_usage`.* TO `a`@`%`"}, false},
		{[]string{"GRANT DELETE ON `cloud%`.* TO `a`@`%`"}, true},
		{[]string{"GRANT SUPER ON *.* TO `a`@`%`"}, true},
	} {
		if got := canWrite(tc.grants, "cloud"); got != tc.want {
			t.Errorf("canWrite(%q) = %v, want %v", tc.grants, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"GRANT USAGE ON *.* TO `a`@`%` IDENTIFIED BY PASSWORD '*11DF0A8A5B8F2E51E3C6E0AB6F1D6E09A3D3F0C1'":                                        "GRANT USAGE ON *.* TO `a`@`%` IDENTIFIED <redacted>",
		"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket WITH GRANT OPTION": "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED <redacted> WITH GRANT OPTION",
		"GRANT SELECT ON `cloud`.* TO `a`@`%`": "GRANT SELECT ON `cloud`.* TO `a`@`%`",
	} {
		if got := redactGrant(in); got != want {
			t.Errorf("redactGrant(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCloudAccountWarning: auditing as CloudStack's own account works, says
// a dedicated read-only account is better, and records can_write.
func TestCloudAccountWarning(t *testing.T) {
	m := labDB(t)
	if err := m.Exec("", "CREATE USER IF NOT EXISTS 'cloud'@'127.0.0.1' IDENTIFIED BY 'cloud-pw'; GRANT ALL ON `lab`.* TO 'cloud'@'127.0.0.1'"); err != nil {
		t.Fatal(err)
	}
	p, err := collect(t, config(t, m, "cloud", "cloud-pw", "lab"))
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(p.Coverage["db.identity"].Notes, "\n")
	if !p.Database.CanWrite || !strings.Contains(notes, "dedicated read-only account") || !strings.Contains(notes, "can write") {
		t.Errorf("can_write=%v notes=%q", p.Database.CanWrite, notes)
	}
}

// rootConn is one root session on the lab schema, for a test that changes
// what the collector's own session will meet (locks, the session clock).
func rootConn(t *testing.T, m *testbed.MariaDB) *sql.Conn {
	t.Helper()
	db, err := m.Root("lab")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestLockWaitTimeout: a table locked by someone else fails alone after the
// session's lock_wait_timeout; every other table is still collected.
func TestLockWaitTimeout(t *testing.T) {
	m := labDB(t)
	ctx := context.Background()
	conn := rootConn(t, m)
	if _, err := conn.ExecContext(ctx, "LOCK TABLES router_health_check WRITE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "UNLOCK TABLES")
	start := time.Now()
	p, err := collect(t, config(t, m, "auditor", auditPW, "lab"))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("collection took %s; lock_wait_timeout should end the wait after 10 s", d)
	}
	if len(p.Errors) != 1 || p.Errors[0].Target != "router_health_check" || !strings.Contains(p.Errors[0].Error, "1205") {
		t.Fatalf("errors = %+v, want one lock wait timeout (1205) for router_health_check", p.Errors)
	}
	if len(p.DB["vm_instance"]) == 0 || len(p.DB["host"]) == 0 || p.Settings == nil || len(p.DB["alert"]) == 0 {
		t.Error("the other tables, before and after the locked one, must still be collected in the same snapshot")
	}
}
