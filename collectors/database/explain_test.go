package database

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/fixtures/labgen"
)

// TestAllowlistHasNoSecrets: no allowlisted column is a secret column, and no
// generated query names one.
func TestAllowlistHasNoSecrets(t *testing.T) {
	for _, sp := range specs {
		if sp.cols[0] != "id" {
			t.Errorf("%s: id must be the first column (rows are keyed by it)", sp.table)
		}
		for _, c := range sp.cols {
			if slices.Contains(neverSelected, c) {
				t.Errorf("%s.%s is on the never-selected list", sp.table, c)
			}
		}
		if sp.fk != "" && !slices.Contains(sp.cols, "value") {
			t.Errorf("%s: details table without value column", sp.table)
		}
	}
	cols := map[string]map[string]colInfo{}
	for _, sp := range append(specs, spec{table: "version", cols: []string{"id"}}) {
		cols[sp.table] = map[string]colInfo{}
		for _, c := range append(sp.cols, neverSelected...) {
			cols[sp.table][c] = colInfo{dataType: "varchar"}
		}
		for _, n := range sp.needs {
			if cols[n] == nil {
				cols[n] = map[string]colInfo{"id": {}}
			}
		}
	}
	for _, sp := range specs {
		p, err := buildPlan(sp, cols, "cloud")
		if err != nil {
			t.Fatal(err)
		}
		// A flag may read a secret column inside the server; only its
		// boolean leaves. Nothing else in the query may name one.
		q := p.query
		for _, f := range sp.flags {
			if !strings.Contains(f.expr, " IS NOT NULL") {
				t.Errorf("%s flag %s is not a NULL test: %s", sp.table, f.name, f.expr)
			}
			q = strings.ReplaceAll(q, f.expr, "")
		}
		if sp.table == "user" {
			q = strings.ReplaceAll(q, "t.`api_key` IS NOT NULL", "")
		}
		for _, c := range neverSelected {
			if strings.Contains(q, "`"+c+"`") || strings.Contains(q, "t."+c+",") {
				t.Errorf("%s query names secret column %s: %s", sp.table, c, p.query)
			}
		}
	}
}

// TestExplainUsesIndexes EXPLAINs every collector query against the real
// schema holding a lab whose history dwarfs its live rows (old alerts,
// finished jobs, expunged VMs and volumes), and fails when a query scans a
// large table in full, unless the spec says why that scan is inherent.
func TestExplainUsesIndexes(t *testing.T) {
	m := labDB(t)
	if err := m.LoadSchema("big"); err != nil {
		t.Fatal(err)
	}
	if err := loadLab(m, "big", labgen.Options{Seed: 3, Hosts: 100, VMs: 2000}); err != nil {
		t.Fatal(err)
	}
	// History: 30,000 expunged VMs with their user_vm rows and volumes, old
	// archived alerts, finished jobs and done HA work.
	if err := m.Exec("big", `
INSERT INTO vm_instance (id, name, uuid, instance_name, state, guest_os_id, data_center_id, vnc_password, type, vm_type, account_id, domain_id, service_offering_id, created, removed, update_time)
  SELECT 1000000+seq, CONCAT('i-9-', seq, '-VM'), UUID(), CONCAT('i-9-', seq, '-VM'), 'Expunging', 99, 1, 'x', 'User', 'User', 3, 1, 1, '2025-01-01', '2025-06-01' - INTERVAL seq MINUTE, '2025-06-01' FROM seq_1_to_30000;
INSERT INTO user_vm (id, display_name) SELECT 1000000+seq, 'old' FROM seq_1_to_30000;
INSERT INTO volumes (id, account_id, domain_id, instance_id, name, uuid, size, data_center_id, volume_type, disk_offering_id, created, removed, state)
  SELECT 1000000+seq, 3, 1, 1000000+seq, 'ROOT-old', UUID(), 1, 1, 'ROOT', 1, '2025-01-01', '2025-06-01', 'Expunged' FROM seq_1_to_30000;
INSERT INTO alert (id, uuid, type, data_center_id, subject, sent_count, created, last_sent, archived) SELECT 1000000+seq, UUID(), 7, 1, 'old', 1, '2025-01-01' + INTERVAL seq MINUTE, '2025-01-01', seq % 2 FROM seq_1_to_30000;
INSERT INTO async_job (id, user_id, account_id, instance_type, instance_id, job_cmd, job_status, created, last_updated, uuid, related)
  SELECT 1000000+seq, 2, 2, ELT(1 + seq % 4, 'VirtualMachine', 'Volume', 'Host', NULL), seq, 'x', 1 + seq % 2, '2026-11-01', '2026-11-01' + INTERVAL seq SECOND, UUID(), '' FROM seq_1_to_30000;
INSERT INTO op_ha_work (id, instance_id, type, vm_type, state, created, step, updated) SELECT 1000000+seq, 1, 'HA', 'User', 'Running', '2026-01-01', 'Done', 1 FROM seq_1_to_5000;
ANALYZE TABLE vm_instance, user_vm, volumes, alert, async_job, op_ha_work, nics, domain_router, vm_instance_details;`); err != nil {
		t.Fatal(err)
	}
	db, err := m.Root("big")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rowsIn := map[string]int64{}
	cols := map[string]map[string]colInfo{}
	r, err := db.Query("SELECT c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE FROM information_schema.COLUMNS c JOIN information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME) WHERE c.TABLE_SCHEMA = 'big' AND t.TABLE_TYPE = 'BASE TABLE'")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var tn, cn, dt string
		_ = r.Scan(&tn, &cn, &dt)
		if cols[tn] == nil {
			cols[tn] = map[string]colInfo{}
		}
		cols[tn][cn] = colInfo{dataType: dt}
	}
	r.Close()
	size := func(table string) int64 {
		if n, ok := rowsIn[table]; ok {
			return n
		}
		var n int64
		_ = db.QueryRow("SELECT COUNT(*) FROM `" + table + "`").Scan(&n)
		rowsIn[table] = n
		return n
	}
	const large = 1000
	for _, sp := range specs {
		p, err := buildPlan(sp, cols, "big")
		if err != nil {
			t.Errorf("%s: %v", sp.table, err)
			continue
		}
		rows, err := db.Query("EXPLAIN " + p.query)
		if err != nil {
			t.Errorf("%s: EXPLAIN: %v", sp.table, err)
			continue
		}
		names, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(names))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := map[string]string{}
			for i, n := range names {
				row[n] = vals[i].String
			}
			t.Logf("%s: %s %s key=%s rows=%s %s", sp.table, row["table"], row["type"], row["key"], row["rows"], row["Extra"])
			if row["type"] != "ALL" {
				continue
			}
			table := aliasTable(row["table"], sp)
			if table == "" {
				continue // a derived table or union result
			}
			n := size(table)
			if n <= large {
				continue
			}
			if table == p.table && sp.scan != "" {
				t.Logf("%s: full scan of %d rows accepted: %s", sp.table, n, sp.scan)
				continue
			}
			t.Errorf("%s: full scan of %s (%d rows): %v\n%s", sp.table, table, n, row, p.query)
		}
		rows.Close()
	}
}

// aliasTable maps an EXPLAIN table name (alias) back to the table.
func aliasTable(alias string, sp spec) string {
	switch alias {
	case "t":
		if sp.alt != "" {
			return sp.table
		}
		return sp.table
	case "v":
		return "vm_instance"
	case "h":
		return "host"
	case "r":
		return "domain_router"
	case "vt":
		return "vm_template"
	case "async_job":
		return "async_job"
	}
	return ""
}
