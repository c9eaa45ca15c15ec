# METADATA
# title: No running console proxy VM in a zone
# description: >-
#   An enabled zone has no console proxy VM in Running state. Administrators and users
#   then have no VM console, which seed 004 describes as the tool for reaching VMs whose
#   network is broken. Medium: a management-plane service is down, guest VMs keep running.
#   The SSVM counterpart is CSA-SYSVM-001. Seed 004's max.ssvm.capacity does not exist in
#   CloudStack (system VM counts scale with secstorage.capacity.standby and
#   consoleproxy.capacity.standby).
# custom:
#   id: CSA-SYSVM-004
#   severity: medium
#   category: system-vms
#   remediation:
#     summary: Find why the console proxy does not start (system VM template, public IPs, capacity) in management-server.log; destroy a failed one so CloudStack recreates it.
#     commands:
#       - kind: cmk
#         text: cmk list systemvms systemvmtype=consoleproxy zoneid={uuid} filter=name,state,hostname
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (Console Proxy VM)
#   controls: [availability]
#   requires: [db.vm_instance, db.data_center]
package csaudit.checks.sysvm.no_cpvm

import data.csaudit.lib

running_cpvm_zones contains lib.key(vm.data_center_id) if {
	some vm in lib.vms_of_type("ConsoleProxy")
	vm.state == "Running"
}

cpvm_states[lib.key(vm.data_center_id)] contains sprintf("%s:%s", [vm.instance_name, vm.state]) if {
	some vm in lib.vms_of_type("ConsoleProxy")
}

deny contains f if {
	some id, z in lib.zones
	z.allocation_state == "Enabled"
	not running_cpvm_zones[id]
	f := {
		"resource": lib.zone_resource(id, z),
		"message": sprintf("zone %s has no running console proxy VM", [z.name]),
		"evidence": {"cpvms": sort(object.get(cpvm_states, id, set()))},
	}
}
