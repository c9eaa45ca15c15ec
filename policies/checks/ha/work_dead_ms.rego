# METADATA
# title: HA work item held by a dead management server
# description: >-
#   An open op_ha_work item (step not Done, Cancelled or Error) is taken by a management
#   server (mgmt_server_id) that is not Up with a fresh heartbeat
#   (cluster.heartbeat.threshold). The HA worker that owns it is gone, so the restart,
#   stop or migration it stands for does not progress until another management server
#   reclaims it. Filed against the VM the work is for (DESIGN "Which resource"). High per
#   the rubric: HA is silently broken for that VM. Source: op_ha_work / HaWorkVO
#   (tables.md, states.md) and ManagementServerHost.State.
# custom:
#   id: CSA-HA-002
#   severity: high
#   category: ha
#   remediation:
#     summary: Bring the owning management server back, or make sure a live one is running so the work is released (its mgmt_server_id reset) and retried; then verify the VM's state.
#     commands:
#       - kind: cmk
#         text: cmk list virtualmachines id={uuid} filter=name,state,hostid,haenable
#       - kind: cmk
#         text: cmk list managementservers filter=name,state,lastheartbeat
#       - kind: sql
#         text: SELECT id, type, step, mgmt_server_id, taken FROM op_ha_work WHERE instance_id = {id};
#   references:
#     - cloudstack:engine/components-api/src/main/java/com/cloud/ha/HighAvailabilityManager.java
#     - cloudstack:server/src/main/java/com/cloud/ha/HaWorkVO.java
#   controls: [availability, ha]
#   requires: [db.op_ha_work, db.mshost, db.vm_instance, settings]
package csaudit.checks.ha.work_dead_ms

import data.csaudit.lib

closed_steps := {"Done", "Cancelled", "Error"}

resource(vid) := lib.vm_resource(vid, vm) if {
	vm := lib.live_vm(vid)
}

else := {"type": "vm", "id": vid}

deny contains f if {
	some wid, w in object.get(input.db, "op_ha_work", {})
	not w.step in closed_steps
	w.mgmt_server_id != null
	not lib.ms_alive(w.mgmt_server_id)
	vid := lib.key(w.instance_id)
	m := object.get(lib.ms_by_msid, lib.key(w.mgmt_server_id), {"name": "unknown", "state": "absent"})
	f := {
		"resource": resource(vid),
		"discriminator": wid,
		"message": sprintf("HA work %v (%s, step %s) is held by management server %v (%v)", [wid, w.type, w.step, m.name, m.state]),
		"evidence": {"work_id": wid, "type": w.type, "step": w.step, "reason": w.reason, "msid": w.mgmt_server_id, "ms_state": m.state, "taken": w.taken, "created": w.created},
	}
}
