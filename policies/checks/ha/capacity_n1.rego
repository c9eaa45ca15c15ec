# METADATA
# title: Cluster cannot absorb the loss of its largest host
# description: >-
#   In a cluster running HA-enabled VMs, the memory of all running VMs (service offering
#   ram_size) exceeds what the cluster's Up, Enabled hosts offer without their largest
#   host (physical RAM x the cluster's effective mem.overprovisioning.factor). When that
#   host fails, HA cannot restart all of its VMs elsewhere. Seed 003 describes HA restarts
#   on the cluster's remaining hosts; N+1 is the capacity that makes them possible.
#   Medium: HA promises exceed capacity, no outage yet.
# custom:
#   id: CSA-HA-004
#   severity: medium
#   category: ha
#   remediation:
#     summary: Add a host to the cluster, move VMs to another cluster, or accept and document the reduced HA coverage.
#     commands:
#       - kind: cmk
#         text: cmk list clusters id={uuid} showcapacities=true
#   references:
#     - seed:003_890368c12d4364b1.txt (HA restarts on other hosts of the cluster)
#     - cloudstack:setting mem.overprovisioning.factor (cluster memoryOvercommitRatio)
#   controls: [availability, capacity, ha]
#   requires: [db.host, db.cluster, db.vm_instance, db.service_offering, settings]
package csaudit.checks.ha.capacity_n1

import data.csaudit.lib

usable(h) if {
	h.status == "Up"
	h.resource_state == "Enabled"
}

host_mb(h) := to_number(h.ram) / 1048576

cluster_ha contains cid if {
	some cid, hids in lib.hosts_in_cluster
	some hid in hids
	count(lib.ha_vm_ids_on_host_in_state(hid, "Running")) > 0
}

deny contains f if {
	some cid in cluster_ha
	c := lib.clusters[cid]
	hosts := [h | some hid in lib.hosts_in_cluster[cid]; h := lib.routing_hosts[hid]; usable(h)]
	count(hosts) > 0
	mems := [host_mb(h) | some h in hosts]
	factor := to_number(lib.effective_setting("mem.overprovisioning.factor", {"cluster": cid, "zone": c.data_center_id}))
	spare := (sum(mems) - max(mems)) * factor
	used := sum([lib.running_vm_mb(hid) | some hid in lib.hosts_in_cluster[cid]])
	used > spare
	f := {
		"resource": lib.cluster_resource(cid, c),
		"message": sprintf("cluster %s runs %d MB of VMs but has %d MB without its largest host", [c.name, round(used), round(spare)]),
		"evidence": {"running_vm_mb": used, "capacity_without_largest_mb": spare, "hosts": count(hosts), "mem_overprovisioning": factor},
	}
}
