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
#       Find out on the hypervisor whether the VM runs before anything changes its state; the
#       finding's own remediation says what must be true for its situation (host Up or fenced,
#       domain gone) before a forced stop, an expunge or csaudit's guarded fix.
#     steps:
#       - Look at the VM and at management-server.log for its last job.
#       - On the VM's host, ask libvirt whether the domain runs.
#       - Act only when the hypervisor agrees with the action (the finding's steps).
#     commands:
#       - kind: cmk
#         text: cmk list virtualmachines id={uuid} filter=id,name,state,hostid,hostname
#       - kind: shell
#         text: virsh -r domstate --domain {name}
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (VM stuck in Starting)
#     - seed:001_846adba9a861db0c.txt (VM stuck in Stopping)
#     - seed:004_62a602eb5c0afa8b.txt (system VM Starting for more than 300 seconds)
#     - cloudstack:api/src/main/java/com/cloud/vm/VirtualMachine.java
#   controls: [availability, operations]
#   requires: [db.vm_instance, db.vm_work_job, db.async_job, db.mshost, db.host, settings]
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
			"situation": situation(vm),
		},
		"remediation": with_hosts(remediation[situation(vm)], vm),
		"args": args(vm),
	}
}

# --- Remediation by situation: diagnose, verify on the hypervisor, then act. ---

host_of(hid) := lib.hosts[lib.key(hid)] if hid != null

host_up(hid) if host_of(hid).status == "Up"

# A host is fenced when the auditor's own BMC reading says its power is off.
fenced(hid) if input.oobm[host_of(hid).uuid].power == "off"

# A host whose VMs may be judged from outside: Up (virsh answers) or fenced.
judgeable(hid) if host_up(hid)

judgeable(hid) if fenced(hid)

situation(vm) := "expunging" if {
	vm.state == "Expunging"
} else := "unplaced" if {
	vm.state == "Starting"
	vm.host_id == null
} else := "no-host" if {
	vm.host_id == null
} else := "migrating" if {
	vm.state == "Migrating"
	judgeable(vm.host_id)
	judgeable(vm.last_host_id)
} else := "migrating-host-lost" if {
	vm.state == "Migrating"
} else := "stopping-host-up" if {
	vm.state == "Stopping"
	host_up(vm.host_id)
} else := "host-up" if {
	host_up(vm.host_id)
} else := "host-fenced" if {
	fenced(vm.host_id)
} else := "host-lost" if {
	host_of(vm.host_id)
} else := "host-missing"

# Steps are prose for a person: they name the hosts where each command runs
# (commands never hold a cloud value; they take it through args).
# The step goes right after the one that asks for virsh (the second).
with_hosts(r, vm) := object.union(r, {"steps": array.concat(array.concat(array.slice(r.steps, 0, 2), [where(vm)]), array.slice(r.steps, 2, count(r.steps)))}) if {
	domstate in r.commands
	where(vm)
} else := r

where(vm) := sprintf("Run the virsh command on the source host %s and on the destination host %s.", [host_of(vm.last_host_id).name, host_of(vm.host_id).name]) if {
	vm.state == "Migrating"
	host_of(vm.host_id)
	host_of(vm.last_host_id)
} else := sprintf("Run the virsh command on host %s.", [host_of(vm.host_id).name]) if {
	host_of(vm.host_id)
} else := sprintf("Run the virsh command on host %s, the VM's last host.", [host_of(vm.last_host_id).name]) if {
	host_of(vm.last_host_id)
}

# Values the commands' placeholders need; hosts the VM does not have are left
# out (no command of its situation uses them).
args(vm) := object.union(host_args("host", vm.host_id), host_args("last_host", vm.last_host_id))

host_args(prefix, hid) := {prefix: h.name, sprintf("%s_uuid", [prefix]): h.uuid} if {
	h := host_of(hid)
} else := {}

list_vm := {"kind": "cmk", "text": "cmk list virtualmachines id={uuid} filter=id,name,state,hostid,hostname"}

domstate := {"kind": "shell", "text": "virsh -r domstate --domain {name}"}

forced_stop := {"kind": "cmk", "text": "cmk stop virtualmachine id={uuid} forced=true"}

fix_plan := {"kind": "shell", "text": "csaudit fix plan --config <config> --out plan.json"}

fix_apply := {"kind": "shell", "text": "csaudit fix apply --config <config> --plan plan.json --id <fix-id>"}

power_status(host) := {"kind": "cmk", "text": sprintf("cmk issue outofbandmanagementpoweraction hostid={%s_uuid} action=STATUS", [host])}

reconnect(host) := {"kind": "cmk", "text": sprintf("cmk reconnect host id={%s_uuid}", [host])}

remediation["stopping-host-up"] := {
	"summary": "Before any forced stop, libvirt on the VM's host must show that its domain no longer runs; while it runs, stop it again through the API without force.",
	"steps": [
		"Look at the VM and at management-server.log for its last job.",
		"On the VM's host (host_id, see evidence), run virsh domstate for the VM's instance name.",
		"Domain running: stop the VM again without forced=true and read the agent's answer in agent.log.",
		"Domain gone or shut off: stop the VM with forced=true; if that API call fails, csaudit's guarded fix vm-stopping-to-stopped corrects the row: csaudit fix plan, then csaudit fix apply --id with the id csaudit gives the fix (the finding's fix_id when it offers one).",
	],
	"commands": [list_vm, domstate, {"kind": "cmk", "text": "cmk stop virtualmachine id={uuid}"}, forced_stop, fix_plan, fix_apply],
}

remediation["host-up"] := {
	"summary": "Before any forced stop, libvirt on the VM's host must show that its domain does not run; while it runs, reconnect the host so CloudStack follows its power report instead.",
	"steps": [
		"Look at the VM and at management-server.log for its last job.",
		"On the VM's host (host_id, see evidence), run virsh domstate for the VM's instance name.",
		"Domain running: reconnect the host; CloudStack moves the VM to Running from the host's power report.",
		"Domain gone or shut off: stop the VM with forced=true.",
	],
	"commands": [list_vm, domstate, reconnect("host"), forced_stop],
}

remediation["host-fenced"] := {
	"summary": "The VM's host is not Up but fenced: the auditor read its BMC power as off, so the VM cannot run there. Confirm the power is still off right before a forced stop; never power the host on in between.",
	"steps": [
		"Look at the VM and at management-server.log for its last job.",
		"Ask CloudStack for the host's BMC power status; it must be Off.",
		"Only then stop the VM with forced=true so HA or an operator can start it elsewhere.",
	],
	"commands": [list_vm, power_status("host"), forced_stop],
}

remediation["host-lost"] := {
	"summary": "The VM's host is not Up and not fenced, so the VM may still run there: no forced stop (it would let the VM start a second time on the same disks). Restore the host's agent so CloudStack resyncs the VM, or fence the host (BMC power off) first.",
	"steps": [
		"Look at the VM and at the host (host_id, see evidence): its status and why the agent is gone.",
		"Read the host's BMC power status; if the host is reachable, run virsh domstate on it.",
		"Restore the agent (cloudstack-agent on the host, network to port 8250) and reconnect the host; CloudStack then follows the host's power report.",
		"Only once the host is fenced (BMC power off) may the VM be stopped with forced=true.",
	],
	"commands": [list_vm, {"kind": "cmk", "text": "cmk list hosts id={host_uuid} filter=name,state,resourcestate,disconnected"}, power_status("host"), domstate, reconnect("host")],
}

remediation["migrating"] := {
	"summary": "A migration that stopped half-way: libvirt on both hosts (source last_host_id, destination host_id) must show where the domain runs before anything acts. Where it runs on exactly one host, reconnect that host so CloudStack follows its power report (Migrating -> Running); a forced stop only when neither host runs it.",
	"steps": [
		"Look at the VM and at management-server.log for the migration job.",
		"Run virsh domstate for the instance name on the source host and on the destination host (evidence: last_host_id, host_id).",
		"Running on one host: reconnect that host. Running on both: stop here and decide which copy is authoritative (the disks are shared); never stop or start anything before.",
		"Running on neither: stop the VM with forced=true.",
	],
	"commands": [list_vm, domstate, reconnect("last_host"), reconnect("host"), forced_stop],
}

remediation["migrating-host-lost"] := {
	"summary": "A migration that stopped half-way while the source or destination host is not Up and not fenced: the VM may run there, so no forced stop. Restore the lost host's agent (or fence it) and check both hosts with virsh first.",
	"steps": [
		"Look at the VM, its source (last_host_id) and destination (host_id) hosts and the migration job.",
		"Read the BMC power status of the host that is not Up; run virsh domstate on every host that answers.",
		"Restore the agent and reconnect the hosts; CloudStack then follows their power reports.",
		"A forced stop only once neither host runs the domain and the lost host is fenced.",
	],
	"commands": [list_vm, domstate],
}

remediation["host-missing"] := {
	"summary": "The VM's host row is gone from CloudStack, so nothing can confirm the VM is stopped: no forced stop. Find the hypervisor that ran it (last_host_id, the hosts' virsh list) first.",
	"steps": [
		"Look at the VM and at management-server.log for its host.",
		"Run virsh domstate for the instance name on the hypervisors of its cluster; the domain must run nowhere before the VM is stopped with forced=true.",
	],
	"commands": [list_vm, domstate],
}

remediation["no-host"] := {
	"summary": "The VM has no host_id, so CloudStack cannot say where it last ran: no forced stop until libvirt on its last host (last_host_id) and its cluster's hosts shows the domain runs nowhere.",
	"steps": [
		"Look at the VM and at management-server.log for its last job.",
		"Run virsh domstate for the instance name on its last host and the other hosts of its cluster.",
		"Domain nowhere: stop the VM with forced=true.",
	],
	"commands": [list_vm, domstate, forced_stop],
}

remediation["unplaced"] := {
	"summary": "Starting with host_id NULL: the allocator never placed the VM, so no hypervisor was asked to start it. Check its last host (if any) for a stray domain; then stop it with forced=true, or apply csaudit's guarded fix vm-starting-to-stopped.",
	"steps": [
		"Look at the VM and at management-server.log for the allocation failure (capacity, tags, storage).",
		"If the VM has a last host, run virsh domstate there: the domain must not run.",
		"Stop it with forced=true, or apply csaudit's guarded fix vm-starting-to-stopped: csaudit fix plan, then csaudit fix apply --id with the id csaudit gives the fix (the finding's fix_id when it offers one). Fix the allocation cause before starting it again.",
	],
	"commands": [list_vm, domstate, forced_stop, fix_plan, fix_apply],
}

remediation["expunging"] := {
	"summary": "Expunging: no stop or start applies. Make sure no domain of it runs on its last host and no other VM uses its volumes, then expunge it again through the API (expungeVirtualMachine accepts Expunging).",
	"steps": [
		"Look at the VM, its volumes and management-server.log for the expunge error.",
		"On its last host (last_host_id), virsh domstate: the domain must not run.",
		"Expunge it through the API; fix the storage error the log names if it fails again.",
	],
	"commands": [list_vm, {"kind": "cmk", "text": "cmk list volumes virtualmachineid={uuid} listall=true filter=id,name,state,storage"}, domstate, {"kind": "cmk", "text": "cmk expunge virtualmachine id={uuid}"}],
}
