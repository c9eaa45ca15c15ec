# METADATA
# title: Cluster cannot absorb the loss of its largest host
# description: >-
#   In a cluster running HA-enabled VMs (in a zone with VM-HA on), the memory or CPU of
#   all running VMs, plus the capacity reserved on the remaining hosts, exceeds what the
#   cluster's Up, Enabled hosts offer without their largest host: the hosts' total capacity
#   (op_host_capacity, else the host row) x the cluster's overprovisioning factor x
#   cluster.memory.allocated.capacity.disablethreshold or
#   cluster.cpu.allocated.capacity.disablethreshold (0.85), the fraction past which
#   CloudStack's allocator stops placing VMs in the cluster
#   (CapacityManagerImpl.checkIfClusterCrossesThreshold). A VM's size comes from its
#   service offering, or for a custom offering from vm_instance_details (memory, CpuNumber,
#   CpuSpeed). When the largest host fails, HA cannot restart all of its VMs elsewhere.
#   Seed 003 describes HA restarts on the cluster's remaining hosts; N+1 is the capacity
#   that makes them possible. Medium: HA promises exceed capacity, no outage yet.
# custom:
#   id: CSA-HA-004
#   severity: medium
#   category: ha
#   remediation:
#     summary: >-
#       Read the cluster's capacity as CloudStack sees it and confirm which resource runs
#       short; then add a host to the cluster, move VMs to another cluster, or accept and
#       document the reduced HA coverage. Raising the disable threshold or the
#       overprovisioning factor only hides the shortage.
#     steps:
#       - Diagnose - list the cluster's capacity (allocated and total, memory and CPU).
#       - Verify - compare the allocation with the capacity left without the largest host, at the cluster's disable threshold.
#       - Act - add a host to the cluster or migrate VMs to another cluster until the allocation fits without the largest host.
#     commands:
#       - kind: cmk
#         text: cmk list clusters id={uuid} showcapacities=true
#       - kind: cmk
#         text: cmk list capacity clusterid={uuid} fetchlatest=true
#       - kind: cmk
#         text: cmk list configurations clusterid={uuid} name=cluster.memory.allocated.capacity.disablethreshold
#   references:
#     - seed:003_890368c12d4364b1.txt (HA restarts on other hosts of the cluster)
#     - cloudstack:server/src/main/java/com/cloud/capacity/CapacityManagerImpl.java (checkIfClusterCrossesThreshold)
#     - cloudstack:tables.md op_host_capacity
#   controls: [availability, capacity, ha]
#   requires: [db.host, db.cluster, db.vm_instance, db.service_offering, db.vm_instance_details, db.op_host_capacity, settings]
package csaudit.checks.ha.capacity_n1

import data.csaudit.lib

usable(h) if {
	h.status == "Up"
	h.resource_state == "Enabled"
}

cluster_ha contains cid if {
	some cid, hids in lib.hosts_in_cluster
	some hid in hids
	not lib.key(lib.routing_hosts[hid].data_center_id) in lib.ha_off_zones
	count(lib.ha_vm_ids_on_host_in_state(hid, "Running")) > 0
}

# Capacity rows by [host id, capacity type] (0 memory bytes, 1 CPU MHz).
capacity := {[lib.key(r.host_id), r.capacity_type]: r |
	some r in object.get(input.db, "op_host_capacity", {})
	r.capacity_type in {0, 1}
	r.host_id != null
}

# What each resource is measured in, per host: MB of memory, MHz of CPU.
total("memory", hid) := capacity[[hid, 0]].total_capacity / 1048576 if {
	capacity[[hid, 0]]
} else := to_number(lib.routing_hosts[hid].ram) / 1048576

total("cpu", hid) := capacity[[hid, 1]].total_capacity if {
	capacity[[hid, 1]]
} else := to_number(lib.routing_hosts[hid].cpus) * to_number(lib.routing_hosts[hid].speed)

reserved("memory", hid) := object.get(capacity, [hid, 0], {"reserved_capacity": 0}).reserved_capacity / 1048576

reserved("cpu", hid) := object.get(capacity, [hid, 1], {"reserved_capacity": 0}).reserved_capacity

running("memory", hid) := lib.running_vm_mb(hid)

running("cpu", hid) := lib.running_vm_cpu_mhz(hid)

factor_setting := {"memory": "mem.overprovisioning.factor", "cpu": "cpu.overprovisioning.factor"}

threshold_setting := {"memory": "cluster.memory.allocated.capacity.disablethreshold", "cpu": "cluster.cpu.allocated.capacity.disablethreshold"}

unit := {"memory": "MB", "cpu": "MHz"}

setting_number(name, scope, dflt) := to_number(v) if {
	input.settings[name]
	v := lib.effective_setting(name, scope)
	v != null
} else := dflt

deny contains f if {
	some cid in cluster_ha
	c := lib.clusters[cid]
	hids := [hid | some hid in lib.hosts_in_cluster[cid]; usable(lib.routing_hosts[hid])]
	count(hids) > 0
	some res in ["memory", "cpu"]
	totals := {hid: total(res, hid) | some hid in hids}
	largest := max([t | some t in totals])
	scope := {"cluster": cid, "zone": c.data_center_id}
	factor := setting_number(factor_setting[res], scope, 1)
	threshold := setting_number(threshold_setting[res], scope, 0.85)
	spare := ((sum([t | some t in totals]) - largest) * factor) * threshold
	used := sum([running(res, hid) | some hid in lib.hosts_in_cluster[cid]])
	held := sum([reserved(res, hid) | some hid in hids])
	used + held > spare
	f := {
		"resource": lib.cluster_resource(cid, c),
		"discriminator": res,
		"message": sprintf("cluster %s runs %d %s of VMs (%d reserved) but can allocate %d %s without its largest host (x%v overprovisioning, %v disable threshold)", [c.name, round(used), unit[res], round(held), round(spare), unit[res], factor, threshold]),
		"evidence": {
			"resource": res, "running_vms": used, "reserved": held, "capacity_without_largest": spare, "unit": unit[res],
			"hosts": count(hids), "overprovisioning": factor, "disable_threshold": threshold,
		},
	}
}
