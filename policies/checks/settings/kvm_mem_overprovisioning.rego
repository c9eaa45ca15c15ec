# METADATA
# title: KVM cluster overprovisions memory
# description: >-
#   A KVM cluster's effective mem.overprovisioning.factor (cluster detail
#   memoryOvercommitRatio, else global) is above param kvm_max_mem_overprovisioning (1).
#   Seed 003 notes that KVM cannot manage VM memory dynamically (only ballooning within
#   set limits) and CloudStack's docs require a balloon driver in every guest; when the
#   running VMs' memory really exceeds the hosts' RAM, the kernel OOM killer ends guests.
#   Low while the running VMs still fit in physical RAM; medium when their memory exceeds
#   the cluster's physical RAM.
# custom:
#   id: CSA-SET-011
#   severity: medium
#   category: settings
#   remediation:
#     summary: >-
#       Read the cluster's memory factor and how much memory its running VMs use; if the
#       guests do not all have a working balloon driver, or the running memory is close to
#       the physical RAM, set the cluster-scoped mem.overprovisioning.factor back to 1 once
#       the allocated memory fits without overcommit (the CPU factor is not affected). The
#       setting is dynamic; the capacity checker recomputes capacity on its next run.
#     steps:
#       - Diagnose - read mem.overprovisioning.factor for the cluster and the cluster's memory capacity and allocation.
#       - Verify - on each host, compare the memory of the running guests with physical RAM (virsh -r nodememstats, free -m), and check that the guests run a balloon driver.
#       - Act - when the allocated memory fits within physical RAM, set the cluster's mem.overprovisioning.factor to 1; otherwise move VMs off the cluster first.
#     commands:
#       - kind: cmk
#         text: cmk list configurations name=mem.overprovisioning.factor clusterid={uuid}
#       - kind: cmk
#         text: cmk list clusters id={uuid} showcapacities=true
#       - kind: shell
#         text: virsh -r nodememstats; free -m
#       - kind: cmk
#         text: cmk update configuration name=mem.overprovisioning.factor value=1 clusterid={uuid}
#   references:
#     - seed:003_890368c12d4364b1.txt (Limitations on over-provisioning in KVM and XenServer)
#     - cloudstack:setting mem.overprovisioning.factor (cluster memoryOvercommitRatio)
#   controls: [capacity, availability]
#   requires: [db.cluster, db.host, db.vm_instance, db.service_offering, settings]
package csaudit.checks.settings.kvm_mem_overprovisioning

import data.csaudit.lib

name := "mem.overprovisioning.factor"

deny contains f if {
	some cid, c in lib.clusters
	c.hypervisor_type == "KVM"
	factor := to_number(lib.effective_setting(name, {"cluster": cid, "zone": c.data_center_id}))
	factor > lib.params.kvm_max_mem_overprovisioning
	hids := object.get(lib.hosts_in_cluster, cid, set())
	physical := sum([(to_number(lib.routing_hosts[h].ram) / 1048576) | some h in hids])
	running := sum([lib.running_vm_mb(h) | some h in hids])
	f := {
		"resource": lib.cluster_resource(cid, c),
		"severity": severity(running, physical),
		"discriminator": name,
		"message": sprintf("KVM cluster %s overprovisions memory x%v (running VMs %d MB of %d MB physical)", [c.name, factor, round(running), round(physical)]),
		"evidence": {"setting": name, "effective_value": factor, "running_vm_mb": running, "physical_mb": physical},
	}
}

severity(running, physical) := "medium" if running > physical

else := "low"
