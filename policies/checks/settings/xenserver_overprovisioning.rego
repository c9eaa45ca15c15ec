# METADATA
# title: XenServer cluster overprovisioned beyond 4
# description: >-
#   The effective memory or CPU overprovisioning factor of a XenServer cluster (the
#   cluster override stored in cluster_details as memoryOvercommitRatio /
#   cpuOvercommitRatio, else the global mem./cpu.overprovisioning.factor) is above 4.
#   Seed 003: "In XenServer, due to a constraint of this hypervisor, you can not use an
#   over-provisioning factor greater than 4." Medium: placement will promise capacity the
#   hypervisor cannot deliver, so VM starts fail. Limit is param
#   xenserver_max_overprovisioning.
# custom:
#   id: CSA-SET-002
#   severity: medium
#   category: capacity
#   remediation:
#     summary: Lower the cluster's overcommit ratios to 4 or less, then stop and start affected VMs so capacity is recalculated.
#     commands:
#       - kind: cmk
#         text: cmk update cluster id={uuid} memoryovercommitratio=4 cpuovercommitratio=4
#   references:
#     - seed:003_890368c12d4364b1.txt (Limitations on over-provisioning in KVM and XenServer)
#     - cloudstack:tables.md cluster_details (cpuOvercommitRatio/memoryOvercommitRatio)
#   controls: [capacity]
#   requires: [db.cluster, settings]
package csaudit.checks.settings.xenserver_overprovisioning

import data.csaudit.lib

factors := {"mem.overprovisioning.factor", "cpu.overprovisioning.factor"}

deny contains f if {
	some id, c in lib.clusters
	c.hypervisor_type == "XenServer"
	some name in factors
	v := to_number(lib.effective_setting(name, {"cluster": id, "zone": c.data_center_id}))
	v > lib.params.xenserver_max_overprovisioning
	f := {
		"resource": lib.cluster_resource(id, c),
		"discriminator": name,
		"message": sprintf("XenServer cluster %s has %s %v (> %v)", [c.name, name, v, lib.params.xenserver_max_overprovisioning]),
		"evidence": {"setting": name, "effective_value": v, "hypervisor": c.hypervisor_type},
	}
}
