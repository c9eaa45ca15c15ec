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

cancels(f) if {
	some c in f.remediation.commands
	startswith(c.text, "cmk cancel storagemaintenance")
}

# cancelStorageMaintenance only where CloudStack accepts it.
test_cancel_only_after_maintenance_is_reached if {
	every status in ["Maintenance", "ErrorInMaintenance"] {
		some f in check.deny with input as snap(status)
		cancels(f)
	}
	every status in ["PrepareForMaintenance", "Initialized", "Disabled"] {
		some f in check.deny with input as snap(status)
		not cancels(f)
	}
}
