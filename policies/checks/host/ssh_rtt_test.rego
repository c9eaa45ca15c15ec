package csaudit.checks.host.ssh_rtt_test

import data.csaudit.checks.host.ssh_rtt as check
import data.csaudit.testlib

snap(rtt) := testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), {"uuid-host-1": {"ssh": {"rtt_ms": rtt}}})

test_slow_host_is_flagged if {
	testlib.ids(check.deny) == {"1"} with input as snap(85.2)
}

test_lan_host_passes if {
	count(check.deny) == 0 with input as snap(0.8)
}
