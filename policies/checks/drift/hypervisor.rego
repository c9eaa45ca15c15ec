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

off_states := {"Stopped", "Destroyed", "Error", "Shutdown"}

grace := lib.param_or("drift_grace_seconds", to_number(lib.setting("ping.interval")) * to_number(lib.setting("ping.timeout")))

# Hypervisor hosts whose domains were collected (possibly none running).
collected := {id | some id, h in lib.routing_hosts; input.hosts[h.uuid].domains.domains}

# Host ids where libvirt runs a domain of this name (lib.active_domain_states).
running_on(name) := object.keys(object.get(lib.active_domain_hosts, name, {}))

names_on_host := lib.group("vm_instance", "host_id", "instance_name")

# Domains running on a host whose database rows do not place them there. Every
# kind of drift but "missing" shows up here on at least one host (a VM has one
# host_id), so the rules below start from these few names, not from every VM.
unexpected contains name if {
	some hid in collected
	some name, _ in object.remove(object.get(lib.active_domains_by_host, hid, {}), object.get(names_on_host, hid, {}))
}

vms_named(name) := {id: input.db.vm_instance[id] | some id, _ in lib.ids_where("vm_instance", "instance_name", name)}

host_name(hid) := lib.routing_hosts[hid].name

db_host_name(vm) := host_name(lib.key(vm.host_id)) if {
	vm.host_id != null
	lib.routing_hosts[lib.key(vm.host_id)]
} else := sprintf("host %v", [vm.host_id])

finding(res, sev, kind, msg, ev) := {"resource": res, "severity": sev, "discriminator": kind, "message": msg, "evidence": object.union(ev, {"kind": kind})}

deny contains finding(lib.vm_resource(id, vm), "critical", "running-twice", sprintf("%s runs on %d hosts: %v", [vm.instance_name, count(hids), sort([host_name(h) | some h in hids])]), {"hosts": sort(hids)}) if {
	some name in unexpected
	hids := running_on(name)
	count(hids) > 1
	some id, vm in vms_named(name)
	vm.state != "Migrating"
}

# Names of live VMs in an off state that libvirt runs somewhere.
off_names := object.union_n([object.get(lib.group("vm_instance", "state", "instance_name"), s, {}) | some s in off_states])

deny contains finding(lib.vm_resource(id, vm), "critical", "running-while-off", sprintf("%s is %s in CloudStack but runs on %v", [vm.instance_name, vm.state, sort([host_name(h) | some h in hids])]), {"state": vm.state, "hosts": sort(hids)}) if {
	some name, _ in object.filter(lib.active_domain_hosts, off_names)
	some id, vm in vms_named(name)
	vm.state in off_states
	hids := running_on(name)
	lib.age_seconds(vm.update_time) > grace
}

deny contains finding(lib.vm_resource(id, vm), "medium", "other-host", sprintf("%s is Running on %s in CloudStack but libvirt runs it on %v", [vm.instance_name, db_host_name(vm), sort([host_name(h) | some h in hids])]), {"host_id": vm.host_id, "hosts": sort(hids)}) if {
	some name in unexpected
	some id, vm in vms_named(name)
	vm.state == "Running"
	hids := running_on(name)
	count(hids) == 1
	not lib.key(vm.host_id) in hids
}

deny contains finding(lib.vm_resource(id, vm), "medium", "missing", sprintf("%s is Running on %s in CloudStack but libvirt there does not run it", [vm.instance_name, host_name(hid)]), {"host_id": vm.host_id}) if {
	some hid in collected
	some name, _ in object.remove(object.get(names_on_host, hid, {}), object.get(lib.active_domains_by_host, hid, {}))
	some id, vm in vms_named(name)
	vm.state == "Running"
	lib.key(vm.host_id) == hid
	count(running_on(name)) == 0
	lib.age_seconds(vm.update_time) > grace
}

cloudstack_name(name) if regex.match(`^[isrv]-[0-9]+-`, name)

deny contains finding({"type": "vm", "name": name}, "medium", "unknown-domain", sprintf("libvirt runs %s on %v but CloudStack has no live VM of that name", [name, sort([host_name(h) | some h in hids])]), {"hosts": sort(hids)}) if {
	some name in unexpected
	cloudstack_name(name)
	count(vms_named(name)) == 0
	hids := running_on(name)
}
