# METADATA
# title: VM state disagrees with what libvirt runs
# description: >-
#   Compares the domains libvirt reports on each KVM host with the database. Critical when
#   a VM may be running twice: its domain runs on more than one host (outside a
#   migration), or it runs while CloudStack has it Stopped, Destroyed, Error or Shutdown
#   (CloudStack may start it again elsewhere on the same volumes). Medium when the VM runs
#   on another host than host_id, when a Running VM's domain is missing from its collected
#   host, or when a domain named like a CloudStack VM has no live database row. Seeds
#   000/001 describe the database/hypervisor mismatch; the severities follow the rubric
#   ("a VM that may be running twice" is critical, drift is medium). Hosts whose domains
#   were not collected are listed as not evaluated, never assumed empty.
# custom:
#   id: CSA-DRIFT-002
#   severity: critical
#   category: drift
#   remediation:
#     summary: Decide which copy is authoritative before anything else writes to the disks; destroy the stray domain with virsh (after checking it is not the one serving), then let CloudStack resync the VM state.
#     commands:
#       - kind: shell
#         text: virsh -r list --all | grep {name}
#       - kind: cmk
#         text: cmk list virtualmachines id={uuid} filter=name,state,hostid
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (synchronization mismatch, virsh list)
#     - seed:001_846adba9a861db0c.txt (database state vs hypervisor state)
#     - cloudstack:api/src/main/java/com/cloud/vm/VirtualMachine.java
#   controls: [integrity, availability]
#   requires: [libvirt.domains, db.vm_instance, db.host, settings]
package csaudit.checks.drift.hypervisor

import data.csaudit.lib

# State names as the libvirt collector reports them (virsh's "in shutdown" is "shutdown").
live_states := {"running", "paused", "blocked", "shutdown", "pmsuspended"}

off_states := {"Stopped", "Destroyed", "Error", "Shutdown"}

grace := lib.param_or("drift_grace_seconds", to_number(lib.setting("ping.interval")) * to_number(lib.setting("ping.timeout")))

collected := {id | some id, h in lib.routing_hosts; input.hosts[h.uuid].domains.domains}

live_domains := [[d.name, id] |
	some id in collected
	some d in input.hosts[lib.routing_hosts[id].uuid].domains.domains
	d.state in live_states
]

# Domain name -> host ids running it, grouped once (comprehension indexing).
running_on := {name: hids |
	some name in {p[0] | some p in live_domains}
	hids := {id | some [n, id] in live_domains; n == name}
}

host_name(hid) := lib.routing_hosts[hid].name

db_host_name(vm) := host_name(lib.key(vm.host_id)) if {
	vm.host_id != null
	lib.routing_hosts[lib.key(vm.host_id)]
} else := sprintf("host %v", [vm.host_id])

finding(res, sev, kind, msg, ev) := {"resource": res, "severity": sev, "discriminator": kind, "message": msg, "evidence": object.union(ev, {"kind": kind})}

# Rules walk the VMs and look their names up in running_on (built once), so no
# name -> VM index over every VM is needed.
deny contains finding(lib.vm_resource(id, vm), "critical", "running-twice", sprintf("%s runs on %d hosts: %v", [vm.instance_name, count(hids), sort([host_name(h) | some h in hids])]), {"hosts": sort(hids)}) if {
	some id, vm in lib.vms
	hids := running_on[vm.instance_name]
	count(hids) > 1
	vm.state != "Migrating"
}

deny contains finding(lib.vm_resource(id, vm), "critical", "running-while-off", sprintf("%s is %s in CloudStack but runs on %v", [vm.instance_name, vm.state, sort([host_name(h) | some h in hids])]), {"state": vm.state, "hosts": sort(hids)}) if {
	some id, vm in lib.vms_in_states(off_states)
	hids := running_on[vm.instance_name]
	lib.age_seconds(vm.update_time) > grace
}

deny contains finding(lib.vm_resource(id, vm), "medium", "other-host", sprintf("%s is Running on %s in CloudStack but libvirt runs it on %v", [vm.instance_name, db_host_name(vm), sort([host_name(h) | some h in hids])]), {"host_id": vm.host_id, "hosts": sort(hids)}) if {
	some id, vm in lib.vms_in_states({"Running"})
	hids := running_on[vm.instance_name]
	count(hids) == 1
	not hids[lib.key(vm.host_id)]
}

deny contains finding(lib.vm_resource(id, vm), "medium", "missing", sprintf("%s is Running on %s in CloudStack but libvirt there does not run it", [vm.instance_name, host_name(hid)]), {"host_id": vm.host_id}) if {
	some id, vm in lib.vms_in_states({"Running"})
	not running_on[vm.instance_name]
	hid := lib.key(vm.host_id)
	collected[hid]
	lib.age_seconds(vm.update_time) > grace
}

vm_names := {vm.instance_name | some vm in lib.vms}

cloudstack_name(name) if regex.match(`^[isrv]-[0-9]+-`, name)

deny contains finding({"type": "vm", "name": name}, "medium", "unknown-domain", sprintf("libvirt runs %s on %v but CloudStack has no live VM of that name", [name, sort([host_name(h) | some h in hids])]), {"hosts": sort(hids)}) if {
	some name, hids in running_on
	cloudstack_name(name)
	not vm_names[name]
}
