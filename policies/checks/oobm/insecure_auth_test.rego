package csaudit.checks.oobm.insecure_auth_test

import data.csaudit.checks.oobm.insecure_auth as check
import data.csaudit.checks.oobm.testdata

test_anonymous_and_none_are_critical if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"anonymous_login": true, "none_auth": true, "auth_types": ["none", "md5"]})})
	some f in check.deny with input as snap
	f.severity == "critical"
	contains(f.message, "anonymous login")
	contains(f.message, "auth type none")
}

test_null_user_alone_is_flagged if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"null_user": true})})
	count(check.deny) == 1 with input as snap
}

test_hardened_or_unknown_capabilities_are_quiet if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {
		"uuid-host-1": testdata.bmc(1, {}),
		"uuid-host-2": {"host_id": "2", "address": "10.9.0.2:623", "reachable": false},
	})
	count(check.deny) == 0 with input as snap
}

test_straight_password_is_medium if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"auth_types": ["md5", "password"]})})
	some f in check.deny with input as snap
	f.severity == "medium"
	count(check.deny) == 1 with input as snap
}

test_straight_password_is_folded_into_the_critical_finding if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"auth_types": ["none", "password"], "none_auth": true})})
	count(check.deny) == 1 with input as snap
	some f in check.deny with input as snap
	f.severity == "critical"
}
