package csaudit.checks.version.ms_minimum_test

import data.csaudit.checks.version.ms_minimum as check
import data.csaudit.testlib

test_4_17_is_below_minimum if {
	snap := testlib.snapshot({"mshost": {"1": testlib.mshost(1, {"version": "4.17.2.0"}), "2": testlib.mshost(2, {})}})
	testlib.ids(check.deny) == {"1"} with input as snap
}

test_4_22_and_4_18_pass if {
	snap := testlib.snapshot({"mshost": {"1": testlib.mshost(1, {"version": "4.18.0.0"}), "2": testlib.mshost(2, {})}})
	count(check.deny) == 0 with input as snap
}
