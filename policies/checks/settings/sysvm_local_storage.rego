# METADATA
# title: system.vm.use.local.storage does not match the zone's primary storage
# description: >-
#   Seed 004 asks that system.vm.use.local.storage follow the primary storage strategy.
#   The setting (zone scope, overridable in data_center_details) makes CloudStack place
#   system VM root disks on host-local pools (true) or on shared pools (false). True in a
#   zone without local storage enabled or without a live host-scope pool, or false in a
#   zone whose only primary storage is host-local, leaves the SSVM, console proxy and
#   routers without a pool to deploy on. Medium: system VMs cannot be (re)created there.
#   The setting is not dynamic: a change takes effect after the management servers restart.
# custom:
#   id: CSA-SET-014
#   severity: medium
#   category: settings
#   remediation:
#     summary: >-
#       Check which primary storage the zone really has, then set system.vm.use.local.storage
#       for the zone to match it (true only with local storage enabled and host-scope pools),
#       and restart the management servers one at a time for it to take effect.
#     steps:
#       - List the zone's primary storage pools and their scope (HOST is local storage).
#       - Check whether the zone has local storage enabled.
#       - Set the zone's value to match, then restart each management server in turn (the setting is not dynamic).
#     commands:
#       - kind: cmk
#         text: cmk list storagepools zoneid={uuid} filter=name,scope,type,state
#       - kind: cmk
#         text: cmk list zones id={uuid} filter=name,localstorageenabled
#       - kind: cmk
#         text: cmk list configurations name=system.vm.use.local.storage zoneid={uuid}
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (system.vm.use.local.storage)
#     - cloudstack:setting system.vm.use.local.storage
#   controls: [availability, configuration]
#   requires: [settings, db.data_center, db.storage_pool]
package csaudit.checks.settings.sysvm_local_storage

import data.csaudit.lib

name := "system.vm.use.local.storage"

pools := {id: p | some id, p in object.get(input.db, "storage_pool", {}); p.removed == null}

host_pools[lib.key(p.data_center_id)] contains id if {
	some id, p in pools
	p.scope == "HOST"
}

shared_pools[lib.key(p.data_center_id)] contains id if {
	some id, p in pools
	p.scope != "HOST"
}

value(zid) := lower(sprintf("%v", [lib.effective_setting(name, {"zone": zid})]))

source(zid) := "zone" if input.settings[name].overrides.zone[zid]

else := "global"

evidence(zid, z) := {
	"setting": name, "value": value(zid), "set_at": source(zid),
	"local_storage_enabled": local_enabled(z),
	"host_pools": count(object.get(host_pools, zid, set())), "shared_pools": count(object.get(shared_pools, zid, set())),
}

deny contains f if {
	some zid, z in lib.zones
	z.allocation_state == "Enabled"
	value(zid) == "true"
	why := no_local(zid, z)
	f := {
		"resource": lib.zone_resource(zid, z),
		"message": sprintf("zone %s: %s is true but %s", [z.name, name, why]),
		"evidence": evidence(zid, z),
	}
}

local_enabled(z) if lib.truthy(object.get(z, "is_local_storage_enabled", false))

else := false

no_local(zid, z) := "local storage is not enabled in the zone" if not local_enabled(z)

else := "the zone has no host-local primary storage pool" if count(object.get(host_pools, zid, set())) == 0

deny contains f if {
	some zid, z in lib.zones
	z.allocation_state == "Enabled"
	value(zid) == "false"
	count(object.get(host_pools, zid, set())) > 0
	count(object.get(shared_pools, zid, set())) == 0
	f := {
		"resource": lib.zone_resource(zid, z),
		"message": sprintf("zone %s: %s is false but the zone's only primary storage is host-local", [z.name, name]),
		"evidence": evidence(zid, z),
	}
}
