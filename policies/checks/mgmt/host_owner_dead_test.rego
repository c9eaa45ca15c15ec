package csaudit.checks.mgmt.host_owner_dead_test

import data.csaudit.checks.mgmt.host_owner_dead as check
import data.csaudit.testlib

test_host_on_down_ms_is_flagged if {
	snap := testlib.snapshot({
		"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {"mgmt_server_id": 1002})},
		"mshost": {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {"state": "Down"})},
	})
	testlib.ids(check.deny) == {"2"} with input as snap
}

test_hosts_on_live_ms_are_quiet if {
	snap := testlib.snapshot({"host": {"1": testlib.host(1, {})}, "mshost": {"1": testlib.mshost(1, {})}})
	count(check.deny) == 0 with input as snap
}
