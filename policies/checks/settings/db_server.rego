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
#     summary: Set the install guide's values in the server's my.cnf ([mysqld]) and restart it in a window (max_connections and innodb_lock_wait_timeout can also be SET GLOBAL at once).
#     commands:
#       - kind: sql
#         text: SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_connections','innodb_lock_wait_timeout','log_bin','binlog_format');
#       - kind: sql
#         text: SET GLOBAL max_connections = 700; SET GLOBAL innodb_lock_wait_timeout = 600;
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
	}
}
