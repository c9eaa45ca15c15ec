# METADATA
# title: Management server Up with a stale heartbeat
# description: >-
#   An mshost row says Up but its heartbeat (last_update) is older than
#   cluster.heartbeat.threshold (CloudStack's own limit, default 150000 ms; param
#   ms_heartbeat_stale_seconds overrides). A live peer would have marked it Down, so either
#   the server hangs or no peer is alive to notice. Agents it owns are not pinged and its
#   jobs and HA work do not move. High per the rubric: HA and host monitoring are silently
#   broken for everything that server owns. Source: ManagementServerHost.State and
#   cluster.heartbeat.threshold (states.md, settings.tsv).
# custom:
#   id: CSA-MS-002
#   severity: high
#   category: management-server
#   remediation:
#     summary: Check the server (service status, GC pauses, database connectivity); restart cloudstack-management on it, or stop it for good so a peer takes over its agents.
#     commands:
#       - kind: cmk
#         text: cmk list managementservers filter=name,state,lastheartbeat,version
#       - kind: shell
#         text: systemctl status cloudstack-management
#   references:
#     - cloudstack:api/src/main/java/org/apache/cloudstack/management/ManagementServerHost.java
#     - cloudstack:setting cluster.heartbeat.threshold
#   controls: [availability]
#   requires: [db.mshost, settings]
package csaudit.checks.mgmt.stale_heartbeat

import data.csaudit.lib

threshold_s := lib.param_or("ms_heartbeat_stale_seconds", lib.heartbeat_threshold_s)

deny contains f if {
	some id, m in lib.mshosts
	m.state == "Up"
	m.last_update != null
	age := lib.age_seconds(m.last_update)
	age > threshold_s
	f := {
		"resource": lib.ms_resource(id, m),
		"message": sprintf("management server %s is Up but its last heartbeat is %d s old (threshold %v s)", [m.name, age, threshold_s]),
		"evidence": {"last_update": m.last_update, "age_seconds": age, "threshold_seconds": threshold_s, "msid": m.msid},
	}
}
