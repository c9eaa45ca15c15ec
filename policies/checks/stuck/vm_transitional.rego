# METADATA
# title: VM stuck in a transitional state
# description: >-
#   A VM has been in Starting, Stopping, Migrating, Expunging or Restoring for longer than
#   the threshold (param vm_stuck_minutes, default 30; system VMs in Starting use
#   systemvm_starting_seconds, default 300 per seed 004) and no live job is working on
#   it: no in-progress async job joined through vm_work_job whose executing management
#   server is Up with a fresh heartbeat. Seeds 000 and 001 describe such VMs and the
#   database edits operators make to free them; CloudStack itself only raises a sync
#   alert for them (states.md). An Expunging VM whose removed column is set has finished
#   expunging and is never flagged. Medium per the rubric: a resource stuck beyond its
#   threshold.
# custom:
#   id: CSA-STUCK-001
#   severity: medium
#   category: stuck-state
#   remediation:
#     summary: >-
#       Check on the hypervisor whether the VM really runs, then let CloudStack finish the
#       transition (stop or start it again through the API). Only if that fails, correct the
#       row with the guarded `csaudit fix` for this finding rather than by hand.
#     steps:
#       - Look for the domain on its host (virsh list --all) and in management-server.log.
#       - Retry the operation through the API; a forced stop releases most Stopping VMs.
#       - If the management server that owned the job is gone, restart the job through the API.
#     commands:
#       - kind: cmk
#         text: cmk list virtualmachines id={uuid} filter=id,name,state,hostid
#       - kind: cmk
#         text: cmk stop virtualmachine id={uuid} forced=true
#       - kind: shell
#         text: virsh -r list --all | grep {name}
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (VM stuck in Starting)
#     - seed:001_846adba9a861db0c.txt (VM stuck in Stopping)
#     - seed:004_62a602eb5c0afa8b.txt (system VM Starting for more than 300 seconds)
#     - cloudstack:api/src/main/java/com/cloud/vm/VirtualMachine.java
#   controls: [availability, operations]
#   requires: [db.vm_instance, db.vm_work_job, db.async_job, db.mshost, settings]
package csaudit.checks.stuck.vm_transitional

import data.csaudit.lib

transitional := {"Starting", "Stopping", "Migrating", "Expunging", "Restoring"}

system_types := {"SecondaryStorageVm", "ConsoleProxy", "DomainRouter", "InternalLoadBalancerVm"}

threshold_seconds(vm) := lib.params.systemvm_starting_seconds if {
	vm.type in system_types
	vm.state == "Starting"
} else := lib.params.vm_stuck_minutes * 60

# Seed 000: a VM Starting with host_id NULL means the allocator failed.
allocator_failed(vm) if {
	vm.state == "Starting"
	vm.host_id == null
}

default allocator_failed(_) := false

deny contains f if {
	some id, vm in lib.vms_in_states(transitional)
	vm.update_time != null
	age := lib.age_seconds(vm.update_time)
	age > threshold_seconds(vm)
	not lib.live_job_vms[id]
	f := {
		"resource": lib.vm_resource(id, vm),
		"message": sprintf("%s has been %s for %d minutes with no live job", [vm.instance_name, vm.state, round(age / 60)]),
		"evidence": {
			"state": vm.state, "update_time": vm.update_time, "age_seconds": age,
			"host_id": vm.host_id, "last_host_id": vm.last_host_id, "power_state": vm.power_state,
			"allocator_failed": allocator_failed(vm),
		},
	}
}
