package csaudit.checks.settings.ca_strictness_test

import data.csaudit.checks.settings.ca_strictness as check
import data.csaudit.testlib

snap(v) := testlib.with_hosts(
	testlib.with_settings(testlib.snapshot({"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})}}), {"ca.plugin.root.auth.strictness": testlib.set_to(v)}),
	{"uuid-host-1": {"agent_cert": {"not_after": "2027-01-01T00:00:00Z"}}, "uuid-host-2": {"agent_cert": {"not_after": "2026-01-01T00:00:00Z"}}},
)

test_false_lists_hosts_without_valid_cert if {
	some f in check.deny with input as snap("false")
	f.evidence.hosts_without_valid_certificate == ["kvm-2"]
}

test_true_passes if {
	count(check.deny) == 0 with input as snap("true")
}
