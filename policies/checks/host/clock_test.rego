package csaudit.checks.host.clock_test

import data.csaudit.checks.host.clock as check
import data.csaudit.testlib

snap(sync, off) := testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), {"uuid-host-1": {"clock": {"synchronized": sync, "offset_ms": off}}})

test_unsynchronized_is_low if {
	some f in check.deny with input as snap(false, 20)
	f.severity == "low"
}

test_two_minutes_off_is_medium if {
	some f in check.deny with input as snap(true, -120000)
	f.severity == "medium"
}

test_synchronized_small_offset_passes if {
	count(check.deny) == 0 with input as snap(true, 3.5)
}
