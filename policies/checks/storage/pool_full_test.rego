package csaudit.checks.storage.pool_full_test

import data.csaudit.checks.storage.pool_full as check
import data.csaudit.testlib

snap(used, setting) := testlib.with_settings(
	testlib.snapshot({"storage_pool": {"1": {"id": 1, "uuid": "u", "name": "nfs-a", "status": "Up", "removed": null, "data_center_id": 1, "used_bytes": used, "capacity_bytes": 100}}}),
	{"pool.storage.capacity.disablethreshold": setting},
)

test_ninety_percent_is_flagged if {
	testlib.ids(check.deny) == {"1"} with input as snap(90, testlib.default_of("0.85"))
}

test_half_full_passes if {
	count(check.deny) == 0 with input as snap(50, testlib.default_of("0.85"))
}

test_pool_override_is_followed if {
	count(check.deny) == 0 with input as snap(90, {"value": null, "default": "0.85", "overrides": {"storage_pool": {"1": "0.95"}}})
}
