# METADATA
# title: VM state disagrees with what libvirt runs
# description: >-
#   Compares the domains libvirt reports on each KVM host with the database. A domain is a VM
#   when its uuid is the VM's uuid (the KVM agent defines every domain with vm_instance.uuid,
#   LibvirtComputingResource.createVMFromSpec), whatever its name; by name alone only when the
#   VM's uuid is not a lower-case canonical uuid, which the agent replaces by a random one.
#   Critical when a VM may be running twice: it runs on more than one host, or it runs while
#   CloudStack has it Stopped, Destroyed, Error or Shutdown (CloudStack may start it again
#   elsewhere on the same volumes). Medium when a Running VM runs on another host than
#   host_id, when a Running VM runs nowhere although its host was collected (missing), when a
#   VM runs under another name than instance_name (renamed: the agent reports domains by name,
#   so CloudStack loses track of it), when a domain has a VM's instance name but another uuid
#   (uuid-mismatch: not that VM; a VM imported into CloudStack keeps its old domain uuid until
#   CloudStack restarts it), and when a domain named like a CloudStack VM (i-ACCOUNT-ID-SUFFIX,
#   or r-, s-, v-, b-, l-ID-SUFFIX for routers, secondary storage, console proxy, internal and
#   elastic load balancer VMs: VirtualMachineName) is no live VM. Other domains are left alone:
#   they are guests CloudStack does not manage and may import (listUnmanagedInstances). VMs in
#   Migrating, and domains paused for or in a post-copy migration (libvirt reasons migration,
#   postcopy, postcopy_failed), are left out. A finding is lowered to info, with the reason in
#   evidence.info_because, when a live work job works on the VM, when the VM's state changed
#   (update_time) within the grace window before the database was read, or when a host
#   involved had its domains read more than the window apart from the database; the window is
#   param drift_grace_seconds, else 2 x ping.interval (120 s by default), the age at which
#   CloudStack itself declares a VM missing from its host's report. Seeds 000/001 describe the
#   database/hypervisor mismatch; the severities follow the rubric ("a VM that may be running
#   twice" is critical, drift is medium). Hosts whose domains were not collected are listed
#   as not evaluated, never assumed empty.
# custom:
#   id: CSA-DRIFT-002
#   severity: critical
#   category: drift
#   remediation:
#     summary: Decide which copy is authoritative before anything else writes to the disks; destroy the stray domain with virsh (after checking it is not the one serving), then let CloudStack resync the VM state.
#     commands:
#       - kind: shell
#         text: virsh -r list --all --uuid --name | grep -F -e {name} -e {uuid}
#       - kind: cmk
#         text: cmk list virtualmachines id={uuid} filter=name,state,hostid
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (synchronization mismatch, virsh list)
#     - seed:001_846adba9a861db0c.txt (database state vs hypervisor state)
#     - cloudstack:api/src/main/java/com/cloud/vm/VirtualMachine.java
#     - cloudstack:api/src/main/java/com/cloud/vm/VirtualMachineName.java
#     - cloudstack:plugins/hypervisors/kvm/src/main/java/com/cloud/hypervisor/kvm/resource/LibvirtComputingResource.java
#   controls: [integrity, availability]
#   requires: [libvirt.domains, db.vm_instance, db.host, db.vm_work_job, db.async_job, db.mshost, settings]
package csaudit.checks.drift.hypervisor

import data.csaudit.lib

off_states := {"Stopped", "Destroyed", "Error", "Shutdown"}

grace := lib.drift_grace_seconds

# Hypervisor hosts whose domains were collected (possibly none running).
collected := {hid | some hid, h in lib.routing_hosts; input.hosts[h.uuid].domains.domains}

# Host id → seconds between the database read (db_now) and the read of the
# host's domains, for the hosts read further apart than the window. The read
# time is on the auditor's clock; the database collector's measured offset
# puts it on the database's.
read_apart[hid] := s if {
	some hid in collected
	t := input.hosts[lib.routing_hosts[hid].uuid].domains.collected_at
	offset_ns := object.get(input.meta, ["database", "clock_offset_ms"], 0) * 1000000
	s := abs((time.parse_rfc3339_ns(t) + offset_ns) - lib.db_now_ns) / 1000000000
	s > grace
}

vm_keys_on_host := lib.group("vm_instance", "host_id", "uuid|instance_name")

# [host id, uuid, name] of the running domains whose host has no VM row with
# exactly that uuid and name. Every drift but "missing" shows up here, so the
# rules below start from these few domains, never from every VM.
stray contains [hid, u, name] if {
	some hid in collected
	some k, _ in object.remove(object.get(lib.running_domains_by_host, hid, {}), object.get(vm_keys_on_host, hid, {}))
	[u, name] := split_key(k)
}

split_key(k) := [substring(k, 0, i), substring(k, i + 1, -1)] if i := indexof(k, "|")

# The agent keeps a VM's uuid for its domain only in this form
# (LibvirtComputingResource.getUuid); otherwise it picks a random one.
canonical_uuid(u) if {
	is_string(u)
	regex.match(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, u)
}

# The live VM a domain is (a set of at most one id): by uuid; failing that, by
# name when the VM's uuid cannot be libvirt's.
domain_vms(u, name) := ids if {
	ids := object.keys(lib.ids_where("vm_instance", "uuid", u))
	count(ids) > 0
} else := {id |
	some id, _ in lib.ids_where("vm_instance", "instance_name", name)
	not canonical_uuid(input.db.vm_instance[id].uuid)
}

# VM id → [host id, domain name] of its stray domains.
stray_of[id] contains [hid, name] if {
	some [hid, u, name] in stray
	some id in domain_vms(u, name)
}

# Host ids where a VM runs: its own host when the exact domain runs there, and
# the hosts of its stray domains.
running_hosts(id, vm) := {lib.key(vm.host_id) | own_domain_runs(vm)} | {hid | some [hid, _] in object.get(stray_of, id, set())}

own_domain_runs(vm) if lib.running_domains_by_host[lib.key(vm.host_id)][concat("|", [lib.key(vm.uuid), lib.key(vm.instance_name)])]

# VMs with a domain that is one side of a migration in flight.
in_migration contains id if {
	some keys in lib.migrating_domains_by_host
	some k, _ in keys
	[u, name] := split_key(k)
	some id in domain_vms(u, name)
}

# Domains with a VM's instance name but another uuid: VM id → [host id, domain uuid].
mismatched[id] contains [hid, u] if {
	some [hid, u, name] in stray
	count(domain_vms(u, name)) == 0
	some id, _ in lib.ids_where("vm_instance", "instance_name", name)
}

# Domains named like CloudStack's that are no live VM: name → [host id, uuid].
unknown[name] contains [hid, u] if {
	some [hid, u, name] in stray
	cloudstack_name(name)
	count(domain_vms(u, name)) == 0
	count(lib.ids_where("vm_instance", "instance_name", name)) == 0
}

cloudstack_name(name) if regex.match(`^(i-[0-9]+-[0-9]+|[rsvbl]-[0-9]+)-.+$`, name)

host_name(hid) := lib.routing_hosts[hid].name

host_names(hids) := sort([host_name(h) | some h in hids])

db_host_name(vm) := host_name(lib.key(vm.host_id)) if {
	vm.host_id != null
	lib.routing_hosts[lib.key(vm.host_id)]
} else := sprintf("host %v", [vm.host_id])

# Why a finding about a VM on these hosts may be a change caught mid-collection.
info_because(id, vm, hids) := sort(((job_reason(id) | recent_reason(vm)) | apart_reasons(hids)))

job_reason(id) := {"a live work job works on the VM"} if {
	lib.live_job_vms[id]
} else := set()

recent_reason(vm) := {sprintf("its state changed %v s before the database was read (update_time), within the %v s grace window", [round(age), grace])} if {
	vm.update_time != null
	age := lib.age_seconds(vm.update_time)
	age >= 0
	age <= grace
} else := {sprintf("its state changed %v s after the database read began (update_time)", [round(0 - age)])} if {
	vm.update_time != null
	age := lib.age_seconds(vm.update_time)
	age < 0
} else := set()

apart_reasons(hids) := {sprintf("libvirt on %s was read %v s apart from the database, more than the %v s grace window", [host_name(h), round(s), grace]) |
	some h in hids
	s := read_apart[h]
}

vm_finding(id, vm, sev, kind, msg, ev, hids) := f if {
	why := info_because(id, vm, hids)
	f := {
		"resource": lib.vm_resource(id, vm),
		"severity": lowered(sev, why),
		"discriminator": kind,
		"message": msg,
		"evidence": object.union(ev, noted(kind, why)),
	}
}

lowered(sev, why) := "info" if {
	count(why) > 0
} else := sev

noted(kind, why) := {"kind": kind, "info_because": why} if {
	count(why) > 0
} else := {"kind": kind}

# The VMs with a stray domain, with the hosts they run on.
placed[id] := [vm, hids] if {
	some id, _ in stray_of
	vm := input.db.vm_instance[id]
	vm.state != "Migrating"
	hids := running_hosts(id, vm)
}

deny contains vm_finding(id, vm, "critical", "running-twice", msg, {"hosts": sort(hids)}, hids) if {
	some id, [vm, hids] in placed
	count(hids) > 1
	msg := sprintf("%s runs on %d hosts: %v", [vm.instance_name, count(hids), host_names(hids)])
}

deny contains vm_finding(id, vm, "critical", "running-while-off", msg, {"state": vm.state, "hosts": sort(hids)}, hids) if {
	some id, [vm, hids] in placed
	vm.state in off_states
	count(hids) > 0
	msg := sprintf("%s is %s in CloudStack but runs on %v", [vm.instance_name, vm.state, host_names(hids)])
}

deny contains vm_finding(id, vm, "medium", "other-host", msg, {"host_id": vm.host_id, "hosts": sort(hids)}, hids | {lib.key(vm.host_id)}) if {
	some id, [vm, hids] in placed
	vm.state == "Running"
	count(hids) == 1
	not lib.key(vm.host_id) in hids
	msg := sprintf("%s is Running on %s in CloudStack but libvirt runs it on %v", [vm.instance_name, db_host_name(vm), host_names(hids)])
}

deny contains vm_finding(id, vm, "medium", "renamed", msg, {"domains": doms}, hids) if {
	some id, [vm, _] in placed
	doms := sort([{"host_id": hid, "name": name} | some [hid, name] in stray_of[id]; name != vm.instance_name])
	count(doms) > 0
	hids := {d.host_id | some d in doms}
	msg := sprintf("libvirt runs %s (uuid %s) under another name on %v; the agent reports domains by name, so CloudStack does not see it run", [vm.instance_name, vm.uuid, sort([sprintf("%s as %s", [host_name(d.host_id), d.name]) | some d in doms])])
}

deny contains vm_finding(id, vm, "medium", "uuid-mismatch", msg, {"vm_uuid": vm.uuid, "domains": doms}, hids) if {
	some id, pairs in mismatched
	vm := input.db.vm_instance[id]
	vm.state != "Migrating"
	doms := sort([{"host_id": hid, "uuid": u} | some [hid, u] in pairs])
	hids := {hid | some [hid, _] in pairs}
	msg := sprintf("libvirt runs a domain named %s on %v whose uuid %v is not the VM's (%s), so it is not this VM (an imported VM keeps its old domain uuid until CloudStack restarts it)", [vm.instance_name, host_names(hids), sort([u | some [_, u] in pairs]), vm.uuid])
}

deny contains vm_finding(id, vm, "medium", "missing", msg, {"host_id": vm.host_id}, {hid}) if {
	some hid in collected
	some k, _ in object.remove(object.get(vm_keys_on_host, hid, {}), object.get(lib.running_domains_by_host, hid, {}))
	[u, _] := split_key(k)
	some id, _ in lib.ids_where("vm_instance", "uuid", u)
	vm := input.db.vm_instance[id]
	vm.state == "Running"
	count(running_hosts(id, vm)) == 0
	not in_migration[id]
	not mismatched_on(id, hid)
	msg := sprintf("%s is Running on %s in CloudStack but libvirt there does not run it", [vm.instance_name, host_name(hid)])
}

# A domain with the VM's name but another uuid on the host: uuid-mismatch
# reports it.
mismatched_on(id, hid) if {
	some [h, _] in mismatched[id]
	h == hid
}

deny contains f if {
	some name, pairs in unknown
	hids := {hid | some [hid, _] in pairs}
	why := sort(apart_reasons(hids))
	f := {
		"resource": {"type": "vm", "name": name},
		"severity": lowered("medium", why),
		"discriminator": "unknown-domain",
		"message": sprintf("libvirt runs %s on %v but CloudStack has no live VM of that name or uuid", [name, host_names(hids)]),
		"evidence": object.union({"hosts": sort(hids), "uuids": sort([u | some [_, u] in pairs])}, noted("unknown-domain", why)),
		"commands": [{"kind": "shell", "text": "virsh -r list --all --uuid --name | grep -F -e {name}"}],
	}
}
