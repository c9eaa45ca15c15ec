package csaudit.checks.mgmt.stale_heartbeat_test

import data.csaudit.checks.mgmt.stale_heartbeat as check
import data.csaudit.testlib

test_up_ms_silent_for_an_hour_is_flagged if {
	snap := testlib.snapshot({"mshost": {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {"last_update": "2026-11-22T09:00:00Z"})}})
	testlib.ids(check.deny) == {"2"} with input as snap
}

test_down_ms_with_old_heartbeat_is_quiet if {
	snap := testlib.snapshot({"mshost": {"2": testlib.mshost(2, {"state": "Down", "last_update": "2026-11-22T09:00:00Z"})}})
	count(check.deny) == 0 with input as snap
}
