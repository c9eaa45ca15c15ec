package csaudit.checks.version.ms_mixed_test

import data.csaudit.checks.version.ms_mixed as check
import data.csaudit.testlib

test_older_up_ms_is_flagged if {
	snap := testlib.snapshot({"mshost": {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {"version": "4.21.0.0"})}})
	testlib.ids(check.deny) == {"2"} with input as snap
}

test_older_but_down_ms_is_quiet if {
	snap := testlib.snapshot({"mshost": {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {"version": "4.21.0.0", "state": "Down"})}})
	count(check.deny) == 0 with input as snap
}
