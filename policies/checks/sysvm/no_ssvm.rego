# METADATA
# title: Zone has no running secondary storage VM
# description: >-
#   An enabled zone has no SSVM in state Running. Seed 004: without the SSVM the
#   management server cannot download templates, take snapshots or copy ISOs; seed 003
#   describes it as the only path to secondary storage. High per the rubric (no running
#   SSVM in a zone).
# custom:
#   id: CSA-SYSVM-001
#   severity: high
#   category: system-vms
#   remediation:
#     summary: Find out why the SSVM does not run (template present and downloaded, storage and management network reachable), then destroy it so CloudStack recreates it.
#     commands:
#       - kind: cmk
#         text: cmk list systemvms zoneid={uuid} systemvmtype=secondarystoragevm filter=name,state,hostid
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (SSVM role, stuck Starting)
#     - seed:003_890368c12d4364b1.txt (Secondary Storage VM)
#   controls: [availability]
#   requires: [db.vm_instance, db.data_center]
package csaudit.checks.sysvm.no_ssvm

import data.csaudit.lib

running_ssvm_zones contains lib.key(vm.data_center_id) if {
	some vm in lib.vms_of_type("SecondaryStorageVm")
	vm.state == "Running"
}

deny contains f if {
	some id, z in lib.zones
	z.allocation_state == "Enabled"
	not running_ssvm_zones[id]
	states := [sprintf("%s:%s", [vm.instance_name, vm.state]) |
		some vm in lib.vms_of_type("SecondaryStorageVm")
		lib.key(vm.data_center_id) == id
	]
	f := {
		"resource": lib.zone_resource(id, z),
		"message": sprintf("zone %s has no running secondary storage VM", [z.name]),
		"evidence": {"ssvms": states},
	}
}
