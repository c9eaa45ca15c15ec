# METADATA
# title: HA-enabled VM on local storage
# description: >-
#   An HA-enabled VM has a volume on a host-local primary storage pool (scope HOST).
#   Seed 003: "VM HA is not supported when the VM is using local storage" — when its host
#   fails, CloudStack cannot restart it elsewhere, so the HA flag promises something it
#   cannot do. Medium: HA for this VM is silently ineffective but no outage is in
#   progress.
# custom:
#   id: CSA-HA-001
#   severity: medium
#   category: ha
#   remediation:
#     summary: "Look at where the VM's volumes live; move them to shared primary storage (migrateVolume, or migrateVirtualMachineWithVolume while it runs), or turn HA off for the VM so nobody relies on it."
#     commands:
#       - kind: cmk
#         text: "cmk list volumes virtualmachineid={uuid} listall=true filter=name,storage,storagetype,state"
#       - kind: cmk
#         text: "cmk update virtualmachine id={uuid} haenable=false"
#   references:
#     - seed:003_890368c12d4364b1.txt (HA-Enabled Virtual Machines)
#   controls: [availability, ha]
#   requires: [db.vm_instance, db.volumes, db.storage_pool]
package csaudit.checks.ha.local_storage

import data.csaudit.lib

deny contains f if {
	some id, _ in object.filter(lib.vm_ids_on_local_pools, lib.protected_ha_vms)
	vm := lib.live_vm(id)
	pools := {pid | some pid in lib.local_pools; object.get(lib.group("volumes", "pool_id", "instance_id"), pid, {})[id]}
	f := {
		"resource": lib.vm_resource(id, vm),
		"message": sprintf("%s is HA-enabled but has volumes on local storage pool(s) %v", [vm.instance_name, sort(pools)]),
		"evidence": {"local_pools": sort(pools), "host_id": vm.host_id},
	}
}
