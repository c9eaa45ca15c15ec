package csaudit.checks.mgmt.single_ms_test

import data.csaudit.checks.mgmt.single_ms as check
import data.csaudit.testlib

test_one_up_one_stale_is_flagged if {
	snap := testlib.snapshot({"mshost": {
		"1": testlib.mshost(1, {}),
		"2": testlib.mshost(2, {"last_update": "2026-11-21T10:00:00Z"}),
	}})
	count(check.deny) == 1 with input as snap
}

test_two_up_is_quiet if {
	snap := testlib.snapshot({"mshost": {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {})}})
	count(check.deny) == 0 with input as snap
}
