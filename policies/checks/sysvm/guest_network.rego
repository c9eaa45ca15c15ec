# METADATA
# title: Secondary storage VM or console proxy has a NIC on a guest network
# description: >-
#   A secondary storage VM or console proxy has a live NIC on a network whose traffic
#   type is Guest. CloudStack plumbs these system VMs into the Control (link-local),
#   Management, Public and Storage networks only; a NIC on a tenant's network gives the VM
#   that reads and writes every template, ISO, volume and snapshot a direct path into that
#   tenant's network (seed 004, "verify that the SSVM cannot access the guest network to
#   prevent cross-tenant data leakage"). High: a cross-tenant data path. Real CloudStack
#   puts the system VMs' public NIC on the zone's shared guest network in Basic zones and
#   in Advanced zones with security groups (ConsoleProxyManagerImpl,
#   SecondaryStorageManagerImpl): a NIC on a Shared guest network there is by design.
# custom:
#   id: CSA-SYSVM-005
#   severity: high
#   category: system-vms
#   remediation:
#     summary: >-
#       Find out how the NIC got there (a manual addNicToVirtualMachine, a database edit, a
#       network misconfigured as Guest), correct the network setup, then destroy the system VM
#       so CloudStack recreates it with its standard NICs.
#     steps:
#       - List the system VM's NICs and the networks they are on (the evidence names them).
#       - Check the zone's physical network traffic types; the Management, Public and Storage traffic must not share the guest network.
#       - Destroy the system VM; CloudStack recreates it with Control, Management, Public and Storage NICs only.
#     commands:
#       - kind: cmk
#         text: cmk list systemvms id={uuid} filter=name,systemvmtype,state,zoneid
#       - kind: cmk
#         text: cmk list networks listall=true filter=id,name,traffictype,type
#       - kind: cmk
#         text: cmk destroy systemvm id={uuid}
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (verify that the SSVM cannot access the guest network)
#   controls: [hardening, tenant-isolation]
#   requires: [db.vm_instance, db.nics, db.networks, db.data_center]
package csaudit.checks.sysvm.guest_network

import data.csaudit.lib

nics_by_vm[lib.key(n.instance_id)] contains id if {
	some id, n in object.get(input.db, "nics", {})
	n.removed == null
	n.vm_type in lib.system_vm_types
}

deny contains f if {
	some t in lib.system_vm_types
	some vmid, vm in lib.vms_of_type(t)
	some nid in object.get(nics_by_vm, vmid, set())
	n := input.db.nics[nid]
	net := input.db.networks[lib.key(n.network_id)]
	net.traffic_type == "Guest"
	not by_design(vm, net)
	f := {
		"resource": lib.vm_resource(vmid, vm),
		"discriminator": lib.key(n.network_id),
		"message": sprintf("%s %s has a NIC on guest network %s", [vm.type, vm.instance_name, net.name]),
		"evidence": {"nic_id": nid, "network_id": lib.key(n.network_id), "network_uuid": net.uuid, "network": net.name, "traffic_type": net.traffic_type, "guest_type": net.guest_type},
	}
}

# Basic and security-group zones give system VMs their public NIC on the
# zone's shared guest network.
by_design(vm, net) if {
	z := input.db.data_center[lib.key(vm.data_center_id)]
	shared_guest_zone(z)
	object.get(net, "guest_type", null) in {"Shared", null}
}

shared_guest_zone(z) if z.networktype == "Basic"

shared_guest_zone(z) if lib.truthy(object.get(z, "is_security_group_enabled", false))
