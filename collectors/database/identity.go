package database

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// globalVariables are the server settings checks look at.
var globalVariables = []string{"version", "version_comment", "read_only", "super_read_only", "innodb_read_only", "sql_mode", "time_zone", "system_time_zone",
	"max_connections", "wait_timeout", "interactive_timeout", "innodb_lock_wait_timeout", "lock_wait_timeout", "max_allowed_packet", "innodb_buffer_pool_size",
	"innodb_file_per_table", "innodb_flush_log_at_trx_commit", "sync_binlog", "log_bin", "binlog_format", "gtid_mode", "wsrep_on", "character_set_server",
	"collation_server", "lower_case_table_names", "have_ssl", "require_secure_transport", "transaction_isolation", "tx_isolation", "event_scheduler",
	"max_statement_time", "max_execution_time", "default_storage_engine"}

// identity records who and what we read, after COMMIT. Failures here are
// notes: the snapshot already holds the data.
func (r *reader) identity(ctx context.Context) {
	id := &collectors.DBIdentity{Schema: r.schema}
	cov := &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{}}
	r.part.Coverage["db.identity"] = cov
	note := func(format string, a ...any) { cov.Notes = append(cov.Notes, fmt.Sprintf(format, a...)) }
	var host, ver, user sql.NullString
	var port sql.NullInt64
	var ro sql.NullBool
	if err := r.conn.QueryRowContext(ctx, "SELECT @@hostname, @@port, @@version, @@read_only, CURRENT_USER()").Scan(&host, &port, &ver, &ro, &user); err != nil {
		note("server identity: %v", err)
	} else {
		id.Hostname, id.Port, id.Version, id.ReadOnly, id.Account = validUTF8(host.String), int(port.Int64), ver.String, ro.Bool, validUTF8(user.String)
		cov.Collected = append(cov.Collected, "server")
	}
	if v := r.part.DB["version"]; v != nil {
		var top int64 = -1
		for _, row := range v {
			if n, ok := row.Get("id").(int64); ok && n > top && row.Get("step") == "Complete" {
				top, id.CSVersion = n, row.Text("version")
			}
		}
	}
	if grants, err := r.grants(ctx); err != nil {
		// A check on the account's privileges must not pass without them.
		cov.Failed = map[string]string{"grants": "SHOW GRANTS: " + err.Error()}
	} else {
		id.Grants = grants
		id.CanWrite = canWrite(grants, r.schema)
		cov.Collected = append(cov.Collected, "grants")
		if id.CanWrite {
			note("the audit account %s can write to %s: use a SELECT-only account (GRANT SELECT, SHOW VIEW ON `%s`.* TO …)", id.Account, r.schema, r.schema)
		}
	}
	if u, _, _ := strings.Cut(id.Account, "@"); u == "cloud" {
		note("connected as CloudStack's own account %q: a dedicated read-only account is safer (GRANT SELECT, SHOW VIEW ON `%s`.*)", id.Account, r.schema)
	}
	id.Replica = r.replica(ctx, note)
	id.ClockOffsetMS, id.ClockUncertaintyMS = r.offset, r.offUnc
	if r.offErr != "" {
		note("database clock not read (host clock offsets cannot be referenced to it): %s", r.offErr)
	}
	r.part.Database = id

	vars, store := collectors.Table{}, collectors.NewRows()
	rows, err := r.conn.QueryContext(ctx, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('"+strings.Join(globalVariables, "','")+"')")
	if err == nil {
		for rows.Next() {
			var n, v sql.NullString
			if rows.Scan(&n, &v) == nil {
				vars[n.String] = store.AddMap(map[string]any{"name": n.String, "value": validUTF8(v.String)})
			}
		}
		err = rows.Err()
		rows.Close()
	}
	vc := &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{}}
	if err != nil {
		vc.Failed = map[string]string{"mysql_variables": err.Error()}
	} else {
		vc.Collected = []string{"mysql_variables"}
		vc.Notes = []string{"SHOW GLOBAL VARIABLES, keyed by variable name"}
		r.part.DB["mysql_variables"] = vars
	}
	r.part.Coverage["db.mysql_variables"] = vc
	r.part.DB["table_sizes"] = r.sizes
	r.part.Coverage["db.table_sizes"] = &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{"table_sizes"},
		Notes: []string{"information_schema.TABLES, keyed by table name; table_rows is InnoDB's estimate"}}
}

func (r *reader) grants(ctx context.Context) ([]string, error) {
	rows, err := r.conn.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, redactGrant(validUTF8(g)))
	}
	return out, rows.Err()
}

// redactGrant cuts the authentication clause (a password hash, or
// VIA plugin USING 'string'): hashes are secrets too.
func redactGrant(g string) string {
	i := strings.Index(strings.ToUpper(g), " IDENTIFIED ")
	if i < 0 {
		return g
	}
	out := g[:i] + " IDENTIFIED <redacted>"
	if strings.HasSuffix(strings.ToUpper(g), " WITH GRANT OPTION") {
		out += " WITH GRANT OPTION"
	}
	return out
}

var grantRE = regexp.MustCompile("(?i)^GRANT\\s+(.+?)\\s+ON\\s+(\\S+)\\s+TO\\s")

// writePrivileges change data or schema.
var writePrivileges = []string{"ALL", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX", "TRIGGER", "CREATE VIEW", "CREATE ROUTINE",
	"ALTER ROUTINE", "EXECUTE", "EVENT", "LOCK TABLES", "REFERENCES", "DELETE HISTORY", "SUPER", "FILE", "CREATE TEMPORARY TABLES", "REPLICATION SLAVE ADMIN", "BINLOG ADMIN"}

// canWrite reports whether any grant on *.*, the schema, or a table in it
// holds a privilege that writes. Roles granted to the account are not
// expanded (SHOW GRANTS lists them; the check sees them in grants).
func canWrite(grants []string, schema string) bool {
	for _, g := range grants {
		m := grantRE.FindStringSubmatch(g)
		if m == nil {
			continue
		}
		on := strings.ReplaceAll(m[2], "`", "")
		db, _, _ := strings.Cut(on, ".")
		if db != "*" && !strings.EqualFold(db, schema) && !likeMatch(db, schema) {
			continue
		}
		for _, p := range strings.Split(m[1], ",") {
			p = strings.ToUpper(strings.TrimSpace(p))
			if i := strings.Index(p, "("); i > 0 { // column-level: UPDATE (col)
				p = strings.TrimSpace(p[:i])
			}
			for _, w := range writePrivileges {
				if p == w || p == "ALL PRIVILEGES" {
					return true
				}
			}
		}
	}
	return false
}

// likeMatch handles database names granted with LIKE wildcards (cloud%).
func likeMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "%_") {
		return false
	}
	re := "^" + strings.NewReplacer("%", ".*", "_", ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString("(?i)"+re, s)
	return ok
}

// replica asks SHOW REPLICA STATUS (MariaDB 10.5+, MySQL 8.0.22+), then the
// older SHOW SLAVE STATUS; both need a monitoring privilege.
func (r *reader) replica(ctx context.Context, note func(string, ...any)) bool {
	for _, q := range []string{"SHOW REPLICA STATUS", "SHOW SLAVE STATUS"} {
		rows, err := r.conn.QueryContext(ctx, q)
		if err != nil {
			continue
		}
		has := rows.Next()
		rows.Close()
		return has
	}
	note("replication status unknown: SHOW REPLICA STATUS needs REPLICA MONITOR (MariaDB) or REPLICATION CLIENT (MySQL); read_only is recorded")
	return false
}
