package csaudit.checks.mgmt.agent_host_list_test

import data.csaudit.checks.mgmt.agent_host_list as check
import data.csaudit.testlib

two_ms(host) := testlib.with_settings(
	testlib.snapshot({"mshost": {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {})}}),
	{"host": testlib.set_to(host)},
)

test_single_ms_address_is_flagged if {
	some f in check.deny with input as two_ms("10.0.1.1")
	f.evidence.missing == ["10.0.1.2"]
	f.severity == "medium"
}

test_full_list_is_quiet if {
	count(check.deny) == 0 with input as two_ms("10.0.1.1, 10.0.1.2")
}

test_load_balancer_is_quiet if {
	count(check.deny) == 0 with input as two_ms("10.0.1.100")
}

test_localhost_is_high if {
	some f in check.deny with input as two_ms("localhost")
	f.severity == "high"
}
