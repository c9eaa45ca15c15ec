package csaudit.checks.hardening.link_local_dropped_test

import data.csaudit.checks.hardening.link_local_dropped as check
import data.csaudit.testlib

snap(dropped) := testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), {"uuid-host-1": {"firewall": {"ports": {}, "link_local_dropped": dropped}}})

test_dropped_is_flagged if {
	testlib.ids(check.deny) == {"1"} with input as snap(true)
}

test_not_dropped_passes if {
	count(check.deny) == 0 with input as snap(false)
}
