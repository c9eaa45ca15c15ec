package csaudit.checks.storage.pool_not_up_test

import data.csaudit.checks.storage.pool_not_up as check
import data.csaudit.testlib

snap(status) := testlib.snapshot({"storage_pool": {"1": {"id": 1, "uuid": "u", "name": "nfs-a", "status": status, "removed": null}}})

test_error_in_maintenance_is_high if {
	some f in check.deny with input as snap("ErrorInMaintenance")
	f.severity == "high"
}

test_maintenance_is_info if {
	some f in check.deny with input as snap("Maintenance")
	f.severity == "info"
}

test_up_passes if {
	count(check.deny) == 0 with input as snap("Up")
}
