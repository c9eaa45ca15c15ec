package csaudit.checks.router.restart_required_test

import data.csaudit.checks.router.restart_required as check
import data.csaudit.testlib

test_restart_required_is_flagged if {
	snap := testlib.snapshot({"networks": {"200": {"id": 200, "uuid": "u", "name": "tenant-a", "removed": null, "restart_required": 1}}})
	testlib.ids(check.deny) == {"200"} with input as snap
}

test_clean_network_is_quiet if {
	snap := testlib.snapshot({"networks": {"200": {"id": 200, "uuid": "u", "name": "tenant-a", "removed": null, "restart_required": 0}}})
	count(check.deny) == 0 with input as snap
}
