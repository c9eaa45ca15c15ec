package csaudit.checks.ha.local_storage_test

import data.csaudit.checks.ha.local_storage as check
import data.csaudit.testlib

db(ha) := {
	"vm_instance": {"7": testlib.vm(7, {"ha_enabled": ha}), "8": testlib.vm(8, {"ha_enabled": true})},
	"storage_pool": {
		"1": {"id": 1, "scope": "HOST", "removed": null},
		"2": {"id": 2, "scope": "CLUSTER", "removed": null},
	},
	"volumes": {
		"70": {"id": 70, "instance_id": 7, "pool_id": 1, "removed": null},
		"80": {"id": 80, "instance_id": 8, "pool_id": 2, "removed": null},
	},
}

test_ha_vm_on_local_pool_is_flagged if {
	testlib.ids(check.deny) == {"7"} with input as testlib.snapshot(db(true))
}

test_non_ha_vm_on_local_pool_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db(false))
}

# With VM-HA off for the zone the VM is not protected at all: CSA-HA-007 says so.
test_ha_vm_in_zone_with_vm_ha_off_is_left_to_ha_007 if {
	s := testlib.with_settings(
		testlib.snapshot(object.union(db(true), {"data_center": {"1": testlib.zone(1, {})}})),
		{"vm.ha.enabled": {"value": null, "default": "true", "overrides": {"zone": {"1": "false"}}}},
	)
	count(check.deny) == 0 with input as s
}
