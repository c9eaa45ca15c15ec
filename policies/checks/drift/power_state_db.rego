# METADATA
# title: VM state disagrees with the reported power state
# description: >-
#   The database's own power-state sync columns contradict the VM state: Running with
#   PowerOff or PowerReportMissing, Stopped with PowerOn, or Running with PowerOn reported
#   by another host (power_host differs from host_id). CloudStack normally reconciles
#   these on the next ping (VirtualMachinePowerStateSyncImpl), so a lasting disagreement
#   means the sync is blocked. A Stopped VM that is powered on can be started a second time
#   elsewhere; the hypervisor-side check CSA-DRIFT-002 confirms that case as critical.
#   The contradiction's age is measured from the VM's last state change (update_time):
#   while a report contradicts the state, CloudStack rewrites power_state_update_time on
#   every report (VMInstanceDaoImpl.updatePowerState), so that column always looks fresh.
#   The finding is lowered to info, with the reason in evidence.info_because, only when the
#   state changed within the grace window shared with CSA-DRIFT-002 (param
#   drift_grace_seconds, else 2 x ping.interval, 120 s by default: the age at which
#   CloudStack itself declares a VM missing) or when a live work job works on the VM
#   (CloudStack does not act on power reports then). Medium per the rubric:
#   DB/hypervisor drift. Source: states.md "How the management server learns the
#   hypervisor-side state".
# custom:
#   id: CSA-DRIFT-001
#   severity: medium
#   category: drift
#   remediation:
#     summary: >-
#       Find where the VM really runs before anything changes: look at the VM on host_id and
#       on power_host with virsh, then let CloudStack resync from the agent (reconnect the
#       host). Never start a Stopped-but-PowerOn VM before virsh shows it runs nowhere.
#     steps:
#       - Diagnose - read the VM's state, host and power host from CloudStack.
#       - Verify - on host_id and on power_host, ask libvirt whether the domain runs.
#       - Act - only when both agree with one answer, reconnect the host so its next power report reconciles the VM.
#     commands:
#       - kind: cmk
#         text: cmk list virtualmachines id={uuid} filter=name,state,hostid,hostname
#       - kind: shell
#         text: virsh -r domstate {name}
#       - kind: cmk
#         text: cmk reconnect host id=<host-uuid>
#   references:
#     - cloudstack:engine/orchestration/src/main/java/com/cloud/vm/VirtualMachinePowerStateSyncImpl.java
#     - seed:000_bd9184fa1d57f2b2.txt (synchronization mismatch between management server and host)
#   controls: [integrity, availability]
#   requires: [db.vm_instance, db.vm_work_job, db.async_job, db.mshost, settings]
package csaudit.checks.drift.power_state_db

import data.csaudit.lib

grace := lib.drift_grace_seconds

# [id, kind] of the VMs whose power report disagrees with their state, found
# through the (state, power_state) and (host_id, power_host) groupings.
candidates contains [id, "running-but-off"] if {
	some ps in {"PowerOff", "PowerReportMissing"}
	some id, _ in lib.ids_where("vm_instance", "state|power_state", sprintf("Running|%s", [ps]))
}

candidates contains [id, "stopped-but-on"] if {
	some id, _ in lib.ids_where("vm_instance", "state|power_state", "Stopped|PowerOn")
}

candidates contains [id, "other-host"] if {
	some pair, ids in lib.group("vm_instance", "host_id|power_host", "id")
	[host, power_host] := split(pair, "|")
	host != power_host
	some id, _ in ids
	vm := input.db.vm_instance[id]
	vm.state == "Running"
	vm.power_state == "PowerOn"
}

deny contains f if {
	some [id, k] in candidates
	vm := input.db.vm_instance[id]
	age := contradiction_age(vm)
	why := sort(info_because(id, age))
	ev := {
		"kind": k, "state": vm.state, "power_state": vm.power_state, "host_id": vm.host_id, "power_host": vm.power_host,
		"update_time": vm.update_time, "power_state_update_time": vm.power_state_update_time,
	}
	f := {
		"resource": lib.vm_resource(id, vm),
		"severity": severity(why),
		"discriminator": k,
		"message": sprintf("%s is %s in the database but host %v reports %s; its state last changed %v s ago", [vm.instance_name, vm.state, vm.power_host, vm.power_state, round(age)]),
		"evidence": object.union(ev, noted(why)),
	}
}

# Seconds since the VM's state last changed; the power report's own time only
# when update_time is unknown.
contradiction_age(vm) := lib.age_seconds(vm.update_time) if {
	vm.update_time != null
} else := lib.age_seconds(vm.power_state_update_time) if {
	vm.power_state_update_time != null
}

# Why the disagreement may be a change CloudStack is still reconciling.
info_because(id, age) := {r | lib.live_job_vms[id]; r := "a live work job works on the VM"} | {r |
	age <= grace
	r := sprintf("the state changed %v s ago, within the %v s grace window", [round(age), grace])
}

severity(why) := "info" if {
	count(why) > 0
} else := "medium"

noted(why) := {"info_because": why} if {
	count(why) > 0
} else := {}
