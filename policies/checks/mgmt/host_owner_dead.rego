# METADATA
# title: Host owned by a management server that is not alive
# description: >-
#   A hypervisor host that the database shows Up is connected (mgmt_server_id) to a
#   management server that is not Up with a fresh heartbeat. Nobody processes that agent's
#   pings, so a real failure of the host would go unnoticed and its VMs would not be
#   restarted by HA until an agent rebalance or reconnect moves it to a live server.
#   Medium per the rubric: DB state that no longer matches reality, with HA at risk.
#   Source: host.mgmt_server_id / mshost.msid (tables.md) and Status.checkManagementServer
#   (states.md).
# custom:
#   id: CSA-MS-003
#   severity: medium
#   category: management-server
#   remediation:
#     summary: "Reconnect the host through the API (or restart cloudstack-agent on it) so it connects to a live management server; restarting the agent does not stop the VMs."
#     commands:
#       - kind: cmk
#         text: "cmk list hosts id={uuid} filter=name,state,managementserverid"
#       - kind: cmk
#         text: "cmk reconnect host id={uuid}"
#       - kind: shell
#         text: "systemctl restart cloudstack-agent"
#   references:
#     - cloudstack:api/src/main/java/com/cloud/host/Status.java
#     - cloudstack:api/src/main/java/org/apache/cloudstack/management/ManagementServerHost.java
#   controls: [availability, ha]
#   requires: [db.host, db.mshost, settings]
package csaudit.checks.mgmt.host_owner_dead

import data.csaudit.lib

deny contains f if {
	some id, h in lib.routing_hosts
	h.status == "Up"
	h.mgmt_server_id != null
	not lib.ms_alive(h.mgmt_server_id)
	m := object.get(lib.ms_by_msid, lib.key(h.mgmt_server_id), {"name": "unknown", "state": "absent"})
	f := {
		"resource": lib.host_resource(id, h),
		"message": sprintf("host %s is Up but owned by management server %v (%v)", [h.name, m.name, m.state]),
		"evidence": {"mgmt_server_id": h.mgmt_server_id, "ms_state": m.state},
	}
}
