package csaudit.checks.oobm.insecure_auth_test

import data.csaudit.checks.oobm.insecure_auth as check
import data.csaudit.checks.oobm.testdata

one(fields) := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, fields)})

test_anonymous_and_none_are_critical if {
	snap := one({"anonymous_login": true, "none_auth": true, "auth_types": ["none", "md5"]})
	some f in check.deny with input as snap
	f.severity == "critical"
	contains(f.message, "anonymous login")
	contains(f.message, "authentication type NONE")
}

# "Null user names enabled" means accounts with an empty name and a password:
# a hardening gap, not unauthenticated access.
test_null_user_alone_is_medium if {
	snap := one({"null_user": true})
	some f in check.deny with input as snap
	f.severity == "medium"
	contains(f.message, "empty name and a password")
	count(check.deny) == 1 with input as snap
}

test_cipher_suite_zero_accepted_is_critical if {
	snap := one({"cipher_suite_zero": true})
	some f in check.deny with input as snap
	f.severity == "critical"
	f.evidence.cipher_suite_zero == true
}

test_cipher_suite_zero_refused_or_not_probed_is_quiet if {
	count(check.deny) == 0 with input as one({"cipher_suite_zero": false})
	count(check.deny) == 0 with input as one({})
}

test_hardened_or_unknown_capabilities_are_quiet if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {
		"uuid-host-1": testdata.bmc(1, {}),
		"uuid-host-2": {"host_id": "2", "address": "10.9.0.2:623", "reachable": false},
	})
	count(check.deny) == 0 with input as snap
}

test_straight_password_is_medium if {
	snap := one({"auth_types": ["md5", "password"]})
	some f in check.deny with input as snap
	f.severity == "medium"
	count(check.deny) == 1 with input as snap
}

test_straight_password_is_folded_into_the_critical_finding if {
	snap := one({"auth_types": ["none", "password"], "none_auth": true})
	count(check.deny) == 1 with input as snap
	some f in check.deny with input as snap
	f.severity == "critical"
	contains(f.message, "straight-password")
}
