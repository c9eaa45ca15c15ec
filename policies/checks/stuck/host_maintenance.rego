# METADATA
# title: Host stuck entering maintenance
# description: >-
#   A hypervisor host is in ErrorInMaintenance or ErrorInPrepareForMaintenance (CloudStack
#   gave up migrating its VMs), or has been in PrepareForMaintenance for longer than param
#   host_maintenance_minutes (default 60). The age is taken from the oldest open Migration
#   work item filed for the host (op_ha_work, reason HostMaintenance), else the host row's
#   lastUpdated. The finding says why the drain stalls: VMs on the host in a transitional
#   state, open migration work items, and VMs whose volumes are on host-local storage
#   (those cannot be live-migrated). Medium per the rubric: a resource stuck beyond its
#   threshold. Without either timestamp the drain cannot be timed: such a host is reported
#   at low severity so a NULL lastUpdated does not raise a false alarm the moment a host
#   enters maintenance. Source: ResourceState machine (states.md) and
#   HighAvailabilityManager WorkType Migration.
# custom:
#   id: CSA-STUCK-005
#   severity: medium
#   category: stuck-state
#   remediation:
#     summary: Deal with the VMs that block the drain (stop or migrate them by hand, move local-storage VMs), then cancel and re-request maintenance.
#     commands:
#       - kind: cmk
#         text: cmk list virtualmachines hostid={uuid} filter=name,state,haenable
#       - kind: cmk
#         text: cmk cancel hostmaintenance id={uuid}
#       - kind: cmk
#         text: cmk prepare hostformaintenance id={uuid}
#   references:
#     - cloudstack:api/src/main/java/com/cloud/resource/ResourceState.java
#     - cloudstack:engine/components-api/src/main/java/com/cloud/ha/HighAvailabilityManager.java
#   controls: [availability, operations]
#   requires: [db.host, db.vm_instance, db.op_ha_work, db.volumes, db.storage_pool]
package csaudit.checks.stuck.host_maintenance

import data.csaudit.lib

error_states := {"ErrorInMaintenance", "ErrorInPrepareForMaintenance"}

transitional := {"Starting", "Stopping", "Migrating", "Expunging", "Restoring"}

open_steps := {"Scheduled", "Investigating", "Fencing", "Stopping", "Restarting", "Migrating"}

migration_work[lib.key(w.host_id)] contains w.created if {
	some w in object.get(input.db, "op_ha_work", {})
	w.type == "Migration"
	w.step in open_steps
	w.host_id != null
}

since(id, _) := t if {
	t := min(migration_work[id])
}

else := h.lastUpdated if {
	h := lib.routing_hosts[id]
	h.lastUpdated != null
}

since_or_null(id, h) := t if {
	t := since(id, h)
} else := null

stuck(_, h) if h.resource_state in error_states

stuck(id, h) if {
	h.resource_state == "PrepareForMaintenance"
	lib.age_seconds(since(id, h)) > lib.params.host_maintenance_minutes * 60
}

# Without any timestamp the drain cannot be timed; a host in PrepareForMaintenance
# with no age is still worth a look, at low severity (see severity).
stuck(id, h) if {
	h.resource_state == "PrepareForMaintenance"
	not since(id, h)
}

deny contains f if {
	some id, h in lib.routing_hosts
	stuck(id, h)
	on_host := object.keys(lib.vm_ids_on_host(id))
	moving := sort([lib.live_vm(v).instance_name | some v in on_host; lib.live_vm(v).state in transitional])
	local := sort([lib.live_vm(v).instance_name | some v in on_host; lib.vm_ids_on_local_pools[v]])
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(id, h),
		"message": sprintf("host %s is %s with %d VMs left (%d in transition, %d on local storage, %d open migration work items)", [h.name, h.resource_state, count(on_host), count(moving), count(local), count(object.get(migration_work, id, set()))]),
		"evidence": {
			"resource_state": h.resource_state, "since": since_or_null(id, h),
			"vms_left": count(on_host), "vms_in_transition": moving, "vms_on_local_storage": local,
			"open_migration_work": count(object.get(migration_work, id, set())),
		},
	}
}

severity(id, h) := "low" if {
	h.resource_state == "PrepareForMaintenance"
	not since(id, h)
} else := "medium"
