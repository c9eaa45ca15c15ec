package csaudit.checks.settings.db_server_test

import data.csaudit.checks.settings.db_server as check
import data.csaudit.testlib

v(name, value) := {"name": name, "value": value}

snap(conn, lock, binlog) := testlib.snapshot({
	"mshost": {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {})},
	"mysql_variables": {
		"max_connections": v("max_connections", conn),
		"innodb_lock_wait_timeout": v("innodb_lock_wait_timeout", lock),
		"log_bin": v("log_bin", "ON"),
		"binlog_format": v("binlog_format", binlog),
	},
})

test_install_guide_values_pass if {
	count(check.deny) == 0 with input as snap("700", "600", "ROW")
}

test_default_151_connections_for_two_servers_is_medium if {
	some f in check.deny with input as snap("151", "600", "ROW")
	f.discriminator == "max_connections"
	f.severity == "medium"
}

test_mariadb_defaults_are_flagged if {
	d := {f.discriminator | some f in check.deny} with input as snap("151", "50", "MIXED")
	d == {"max_connections", "innodb_lock_wait_timeout", "binlog_format"}
}

with_ms(s, ms) := object.union(s, {"db": object.union(s.db, {"mshost": ms})})

# Rows of management servers decommissioned long ago stay in mshost: 700
# connections serve the two live servers.
test_old_mshost_rows_do_not_count if {
	s := with_ms(snap("700", "600", "ROW"), {
		"3": testlib.mshost(3, {"state": "Down", "last_update": "2025-01-01T00:00:00Z"}),
		"4": testlib.mshost(4, {"state": "Down", "last_update": "2025-01-01T00:00:00Z"}),
	})
	count(check.deny) == 0 with input as s
}

# A server Down for an hour (being restarted) still counts: 700 < 3 x 350.
test_recently_seen_server_counts if {
	s := with_ms(snap("700", "600", "ROW"), {"3": testlib.mshost(3, {"state": "Down", "last_update": "2026-11-22T09:00:00Z"})})
	some f in check.deny with input as s
	f.discriminator == "max_connections"
	contains(f.message, "350 x 3")
}

# The runtime change and the my.cnf line, with the value the check computed.
test_max_connections_fix_sets_global_and_my_cnf if {
	some f in check.deny with input as snap("151", "600", "ROW")
	f.discriminator == "max_connections"
	cmds := [c.text | some c in f.remediation.commands]
	cmds[count(cmds) - 1] == "SET GLOBAL max_connections = 700;"
	some step in f.remediation.steps
	contains(step, "max_connections = 700 under [mysqld] in my.cnf")
}
