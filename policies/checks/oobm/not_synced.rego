# METADATA
# title: No live management server is syncing the host's OOBM power state
# description: >-
#   Out-of-band management is enabled, but the row's owner (oobm.mgmt_server_id) is empty or
#   is not a management server that is Up with a fresh heartbeat, and update_time is older
#   than param oobm_stale_minutes (default 10) against the database clock, or was never set.
#   How CloudStack syncs: every outofbandmanagement.background.task.execution.interval
#   seconds, each management server queues a power STATUS query for the oobm rows it owns or
#   that have no owner. The result is written only when it changes something:
#   OutOfBandManagementDaoImpl.updateState returns without an UPDATE when the power state
#   and the owner are the same as before, so update_time records the last change, not the
#   last sync, and a host whose power state is stable legitimately keeps an old
#   update_time. When a management server leaves the cluster its peers clear the owner
#   (expireServerOwnership) and one of them takes the row over at its next sync. An old
#   update_time alone is therefore no symptom; together with no live owner it means no
#   server is syncing the row. Medium: CloudStack's view of the power state, which HA
#   fencing relies on, is no longer maintained.
# custom:
#   id: CSA-OOBM-006
#   severity: medium
#   category: oobm
#   remediation:
#     summary: "Bring the owning management server back, or re-enable out-of-band management on the host so that a live server takes it over."
#     commands:
#       - kind: cmk
#         text: "cmk list managementservers filter=name,state,lastheartbeat"
#       - kind: cmk
#         text: "cmk list hosts id={uuid} filter=name,outofbandmanagement"
#       - kind: cmk
#         text: "cmk disable outofbandmanagementforhost hostid={uuid}"
#       - kind: cmk
#         text: "cmk enable outofbandmanagementforhost hostid={uuid}"
#   references:
#     - cloudstack:engine/schema/src/main/java/org/apache/cloudstack/outofbandmanagement/dao/OutOfBandManagementDaoImpl.java (updateState, findAllByManagementServer, expireServerOwnership)
#     - cloudstack:server/src/main/java/org/apache/cloudstack/outofbandmanagement/OutOfBandManagementServiceImpl.java (OutOfBandManagementPowerStatePollTask)
#     - cloudstack:settings.tsv outofbandmanagement.background.task.execution.interval
#   controls: [availability, ha]
#   requires: [db.oobm, db.host, db.mshost, settings]
package csaudit.checks.oobm.not_synced

import data.csaudit.checks.oobm.index
import data.csaudit.lib

threshold_seconds := lib.params.oobm_stale_minutes * 60

no_live_owner(row) if row.mgmt_server_id == null

no_live_owner(row) if {
	row.mgmt_server_id != null
	not lib.ms_alive(row.mgmt_server_id)
}

old(row) if row.update_time == null

old(row) if {
	row.update_time != null
	lib.age_seconds(row.update_time) > threshold_seconds
}

deny contains f if {
	some hid, h in lib.routing_hosts
	index.enabled(hid)
	row := index.by_host[hid]
	no_live_owner(row)
	old(row)
	f := {
		"resource": lib.host_resource(hid, h),
		"message": sprintf("no live management server has synced the OOBM power state of host %s for more than %d minutes (owner %v, last update %v)", [h.name, lib.params.oobm_stale_minutes, row.mgmt_server_id, row.update_time]),
		"evidence": {"mgmt_server_id": row.mgmt_server_id, "update_time": row.update_time, "power_state": row.power_state},
	}
}
