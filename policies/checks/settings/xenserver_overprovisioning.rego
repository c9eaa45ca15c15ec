# METADATA
# title: XenServer cluster overprovisions memory beyond 4
# description: >-
#   The effective memory overprovisioning factor of a XenServer cluster (the cluster
#   value of mem.overprovisioning.factor, stored in cluster_details as
#   memoryOvercommitRatio, else the global value) is above 4. Seed 003: "In XenServer, due
#   to a constraint of this hypervisor, you can not use an over-provisioning factor greater
#   than 4." The constraint is XenServer's Dynamic Memory Control, which lets a guest's
#   memory shrink to at most a quarter of its maximum, so it bounds the memory factor only;
#   CPU overprovisioning (cpu.overprovisioning.factor) has no such limit and is not judged.
#   Medium: placement promises memory the hypervisor cannot deliver, so VM starts fail.
#   Limit is param xenserver_max_overprovisioning.
# custom:
#   id: CSA-SET-002
#   severity: medium
#   category: capacity
#   remediation:
#     summary: >-
#       Read the cluster's memory factor and its allocated memory; check that the VMs still fit
#       at a factor of 4; then set the cluster-scoped mem.overprovisioning.factor to 4 (the CPU
#       factor stays as it is). The setting is dynamic; CloudStack's capacity checker
#       recomputes the cluster's capacity on its next run.
#     steps:
#       - Diagnose - read mem.overprovisioning.factor for the cluster, and the cluster's memory capacity and allocation.
#       - Verify - the memory allocated in the cluster fits within its physical memory x 4; if not, move VMs first or placement will refuse new starts.
#       - Act - set the cluster's mem.overprovisioning.factor to 4.
#     commands:
#       - kind: cmk
#         text: cmk list configurations name=mem.overprovisioning.factor clusterid={uuid}
#       - kind: cmk
#         text: cmk list clusters id={uuid} showcapacities=true
#       - kind: cmk
#         text: cmk update configuration name=mem.overprovisioning.factor value=4 clusterid={uuid}
#   references:
#     - seed:003_890368c12d4364b1.txt (Limitations on over-provisioning in KVM and XenServer)
#     - cloudstack:tables.md cluster_details (cpuOvercommitRatio/memoryOvercommitRatio)
#   controls: [capacity]
#   requires: [db.cluster, settings]
package csaudit.checks.settings.xenserver_overprovisioning

import data.csaudit.lib

name := "mem.overprovisioning.factor"

deny contains f if {
	some id, c in lib.clusters
	c.hypervisor_type == "XenServer"
	v := to_number(lib.effective_setting(name, {"cluster": id, "zone": c.data_center_id}))
	v > lib.params.xenserver_max_overprovisioning
	f := {
		"resource": lib.cluster_resource(id, c),
		"discriminator": name,
		"message": sprintf("XenServer cluster %s has %s %v (> %v)", [c.name, name, v, lib.params.xenserver_max_overprovisioning]),
		"evidence": {"setting": name, "effective_value": v, "hypervisor": c.hypervisor_type},
	}
}
