# METADATA
# title: Only one management server is Up
# description: >-
#   Seed 003 (HA for Management Server): the management server should run on several
#   nodes behind a load balancer, because while it is down no VM can be created, and the
#   UI, API and VM HA stop working. Fewer than param min_management_servers (default 2)
#   mshost rows are Up with a fresh heartbeat. Medium: VM HA silently stops with the one
#   node (the rubric's high is kept for conditions where HA is already broken).
# custom:
#   id: CSA-MS-001
#   severity: medium
#   category: management-server
#   remediation:
#     summary: Add a second management server behind a load balancer and point the `host` setting at the VIP.
#     steps:
#       - Install another management server against the same database.
#       - Balance 8080/443 and 8250 with persistence; set the global setting host to the VIP.
#   references:
#     - seed:003_890368c12d4364b1.txt (HA for Management Server; Management Server Load Balancing)
#   controls: [availability]
#   requires: [db.mshost, settings]
package csaudit.checks.mgmt.single_ms

import data.csaudit.lib

alive := {id | some id, m in lib.mshosts; lib.ms_alive(m.msid)}

deny contains f if {
	count(alive) < lib.params.min_management_servers
	f := {
		"resource": {"type": "cloud", "name": "cloud"},
		"message": sprintf("%d management server(s) Up with a fresh heartbeat; CloudStack HA and the API depend on it", [count(alive)]),
		"evidence": {"up": count(alive), "known": count(lib.mshosts)},
	}
}
