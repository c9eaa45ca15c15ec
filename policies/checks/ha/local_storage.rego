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
#     summary: Move the VM's volumes to shared primary storage, or turn HA off for it so nobody relies on it.
#     commands:
#       - kind: cmk
#         text: cmk list volumes virtualmachineid={uuid} filter=name,storage,storagetype
#   references:
#     - seed:003_890368c12d4364b1.txt (HA-Enabled Virtual Machines)
#   controls: [availability, ha]
#   requires: [db.vm_instance, db.volumes, db.storage_pool]
package csaudit.checks.ha.local_storage

import data.csaudit.lib

local_pools := {id | some id, p in object.get(input.db, "storage_pool", {}); p.removed == null; p.scope == "HOST"}

local_vms[lib.key(v.instance_id)] contains lib.key(v.pool_id) if {
	some v in object.get(input.db, "volumes", {})
	v.removed == null
	v.instance_id != null
	lib.key(v.pool_id) in local_pools
}

deny contains f if {
	some id, pools in local_vms
	vm := lib.vms[id]
	vm.ha_enabled
	f := {
		"resource": lib.vm_resource(id, vm),
		"message": sprintf("%s is HA-enabled but has volumes on local storage pool(s) %v", [vm.instance_name, sort(pools)]),
		"evidence": {"local_pools": sort(pools), "host_id": vm.host_id},
	}
}
