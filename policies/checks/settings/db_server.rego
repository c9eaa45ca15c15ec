# METADATA
# title: Database server below CloudStack's install-guide settings
# description: >-
#   The MySQL/MariaDB server (SHOW GLOBAL VARIABLES) is configured below what CloudStack's
#   installation guide puts in my.cnf: max_connections at least 350 per management server (counting those Up or seen within
#   the last day, not every mshost row: old servers' rows stay)
#   (medium: the connection pools of the management servers exhaust it and API calls and
#   agent handling fail), innodb_lock_wait_timeout 600 (low: CloudStack's long
#   transactions time out under load), and, when binary logging is on, binlog_format ROW
#   (low: statement-based logging of CloudStack's queries is unsafe for replicas). Source:
#   CloudStack installation guide, "Install the Database on the Management Server Node"
#   (innodb_lock_wait_timeout=600, max_connections=350 x management servers, log-bin,
#   binlog-format=ROW).
# custom:
#   id: CSA-SET-013
#   severity: medium
#   category: database
#   remediation:
#     summary: "Set the install guide's values on the database server both at runtime (SET GLOBAL, for new connections) and in its my.cnf under [mysqld] (so a restart keeps them). The management servers' pooled connections keep the old session values until they reconnect."
#     commands:
#       - kind: sql
#         text: "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_connections','innodb_lock_wait_timeout','log_bin','binlog_format');"
#       - kind: shell
#         text: "grep -rn -E 'max_connections|innodb_lock_wait_timeout|binlog_format' /etc/mysql /etc/my.cnf /etc/my.cnf.d"
#   references:
#     - cloudstack:docs installation guide, database node (my.cnf settings)
#   controls: [availability, database]
#   requires: [db.mysql_variables, db.mshost]
package csaudit.checks.settings.db_server

import data.csaudit.lib

vars := object.get(input.db, "mysql_variables", {})

value(name) := vars[name].value

numeric(name) := to_number(value(name)) if regex.match(`^[0-9]+$`, value(name))

database := {"type": "database", "name": object.get(object.get(input.meta, "database", {}), "hostname", "database")}

# Management servers that hold connections: Up, or seen within the last day (a
# server being restarted comes back with its pool). Rows of servers long gone
# stay in mshost and do not count.
active_ms := {id |
	some id, m in lib.mshosts
	counted(m)
}

counted(m) if m.state == "Up"

counted(m) if {
	m.last_update != null
	lib.age_seconds(m.last_update) <= 86400
}

need_connections := 350 * max([count(active_ms), 1])

problem["max_connections"] := ["medium", sprintf("max_connections is %v, below 350 x %d management servers", [value("max_connections"), count(active_ms)])] if {
	numeric("max_connections") < need_connections
}

problem["innodb_lock_wait_timeout"] := ["low", sprintf("innodb_lock_wait_timeout is %v s, below the guide's 600", [value("innodb_lock_wait_timeout")])] if {
	numeric("innodb_lock_wait_timeout") < 600
}

problem["binlog_format"] := ["low", sprintf("binary logging is on with binlog_format %v, not ROW", [value("binlog_format")])] if {
	upper(value("log_bin")) == "ON"
	upper(value("binlog_format")) != "ROW"
}

deny contains f if {
	some name, [sev, msg] in problem
	f := {
		"resource": database,
		"severity": sev,
		"discriminator": name,
		"message": msg,
		"evidence": {"variable": name, "value": value(name)},
		"remediation": fix[name],
	}
}

show := {"kind": "sql", "text": "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_connections','innodb_lock_wait_timeout','log_bin','binlog_format');"}

grep_cnf := {"kind": "shell", "text": "grep -rn -E 'max_connections|innodb_lock_wait_timeout|binlog_format' /etc/mysql /etc/my.cnf /etc/my.cnf.d"}

fix["max_connections"] := {
	"steps": [
		"Read the current value and where my.cnf sets it.",
		sprintf("Set max_connections = %d under [mysqld] in my.cnf (a file in mariadb.conf.d or my.cnf.d) so it survives a restart.", [need_connections]),
		"Apply it now with SET GLOBAL; no restart is needed.",
	],
	"commands": [show, grep_cnf, {"kind": "sql", "text": sprintf("SET GLOBAL max_connections = %d;", [need_connections])}],
}

fix["innodb_lock_wait_timeout"] := {
	"steps": [
		"Read the current value and where my.cnf sets it.",
		"Set innodb_lock_wait_timeout = 600 under [mysqld] in my.cnf so it survives a restart.",
		"Apply it now with SET GLOBAL; sessions opened afterwards use it (restart the management servers one at a time to renew their pools).",
	],
	"commands": [show, grep_cnf, {"kind": "sql", "text": "SET GLOBAL innodb_lock_wait_timeout = 600;"}],
}

fix["binlog_format"] := {
	"steps": [
		"Read the current value and where my.cnf sets it; with replication, change the primary and check the replicas accept ROW.",
		"Set binlog_format = ROW under [mysqld] in my.cnf so it survives a restart.",
		"Apply it now with SET GLOBAL; sessions opened afterwards use it (restart the management servers one at a time to renew their pools).",
	],
	"commands": [show, grep_cnf, {"kind": "sql", "text": "SET GLOBAL binlog_format = 'ROW';"}],
}
