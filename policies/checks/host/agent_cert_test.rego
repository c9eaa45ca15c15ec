package csaudit.checks.host.agent_cert_test

import data.csaudit.checks.host.agent_cert as check
import data.csaudit.testlib

snap(na) := testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), {"uuid-host-1": {"agent_cert": {"not_after": na}}})

test_expired_is_high if {
	some f in check.deny with input as snap("2026-11-01T00:00:00Z")
	f.severity == "high"
}

test_expiring_in_ten_days_is_medium if {
	some f in check.deny with input as snap("2026-12-02T00:00:00Z")
	f.severity == "medium"
}

test_valid_for_a_year_passes if {
	count(check.deny) == 0 with input as snap("2027-11-22T00:00:00Z")
}
