# METADATA
# title: Primary storage pool not connected to a host of its scope
# description: >-
#   An Up cluster- or zone-wide primary storage pool has no storage_pool_host_ref row for
#   an Up hypervisor host of its scope (the cluster; for a zone-wide pool, the zone's hosts
#   of the pool's hypervisor). CloudStack writes that row when the host connects the pool
#   (ModifyStoragePoolCommand on agent connect or pool creation) and deletes it when the
#   pool is disconnected, so without it the host cannot reach the pool: VMs with volumes
#   there cannot start or be restarted by HA on that host, and live migrations to it fail.
#   High when the host runs VMs with volumes on the pool (their disks are on storage their
#   host does not have connected), medium otherwise. Host-local pools and hosts in a
#   maintenance state are not judged. The hosts' own mounts are not compared: the host
#   collector has no mounts fact yet.
# custom:
#   id: CSA-STOR-006
#   severity: high
#   category: storage
#   remediation:
#     summary: >-
#       Confirm on the host that the pool is really missing (mount, libvirt pool), find why
#       it could not be connected (network to the storage server, export permissions for
#       the host's storage IP, the agent log), fix that, and let CloudStack connect the pool
#       again by reconnecting the host.
#     steps:
#       - Diagnose - list the pool and the hosts CloudStack has it connected to.
#       - Verify - on the host, check the mount and the libvirt storage pools, and the agent log for the failed ModifyStoragePoolCommand.
#       - Act - fix access to the storage server from the host, then reconnect the host so it connects the pool again.
#     commands:
#       - kind: cmk
#         text: cmk list storagepools hostid={uuid} filter=name,state,scope,ipaddress,path
#       - kind: shell
#         text: virsh -r pool-list --all; grep -iE 'ModifyStoragePool|Unable to mount' /var/log/cloudstack/agent/agent.log | tail -n 20
#       - kind: cmk
#         text: cmk reconnect host id={uuid}
#   references:
#     - cloudstack:tables.md storage_pool_host_ref
#     - seed:000_bd9184fa1d57f2b2.txt (storage connectivity)
#   controls: [availability, storage]
#   requires: [db.storage_pool, db.storage_pool_host_ref, db.host, db.volumes, db.vm_instance]
package csaudit.checks.storage.pool_unreachable

import data.csaudit.lib

maintenance := {"Maintenance", "PrepareForMaintenance", "ErrorInMaintenance", "ErrorInPrepareForMaintenance"}

connected := {[lib.key(r.pool_id), lib.key(r.host_id)] | some r in object.get(input.db, "storage_pool_host_ref", {})}

pools := {id: p |
	some id, p in object.get(input.db, "storage_pool", {})
	p.removed == null
	p.status == "Up"
	p.scope in {"CLUSTER", "ZONE"}
}

up_hosts := {hid: h |
	some hid, h in lib.routing_hosts
	h.status == "Up"
	not h.resource_state in maintenance
}

# Host ids a pool's scope covers.
in_scope(p) := {hid |
	some hid in object.get(lib.hosts_in_cluster, lib.key(p.cluster_id), set())
	up_hosts[hid]
} if {
	p.scope == "CLUSTER"
	p.cluster_id != null
}

in_scope(p) := {hid |
	some hid, h in up_hosts
	h.data_center_id == p.data_center_id
	hypervisor_matches(p, h)
} if {
	p.scope == "ZONE"
}

hypervisor_matches(p, _) if object.get(p, "hypervisor", null) in {null, "", "Any", "None"}

hypervisor_matches(p, h) if p.hypervisor == h.hypervisor_type

deny contains f if {
	some pid, p in pools
	some hid in in_scope(p)
	not connected[[pid, hid]]
	h := up_hosts[hid]
	on_pool := object.get(lib.group("volumes", "pool_id", "instance_id"), pid, {})
	vms := {id | some id, _ in lib.vm_ids_on_host(hid); on_pool[id]}
	f := {
		"resource": lib.host_resource(hid, h),
		"severity": severity(vms),
		"discriminator": pid,
		"message": sprintf("host %s has %s pool %s not connected (no storage_pool_host_ref), %d VM(s) on the host have volumes there", [h.name, lower(p.scope), p.name, count(vms)]),
		"evidence": {"pool_id": pid, "pool": p.name, "pool_uuid": p.uuid, "scope": p.scope, "vms_with_volumes_there": count(vms)},
	}
}

severity(vms) := "high" if count(vms) > 0

else := "medium"
