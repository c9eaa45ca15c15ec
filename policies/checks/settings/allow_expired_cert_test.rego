package csaudit.checks.settings.allow_expired_cert_test

import data.csaudit.checks.settings.allow_expired_cert as check
import data.csaudit.testlib

test_true_is_flagged if {
	s := testlib.with_settings(testlib.snapshot({}), {"ca.plugin.root.allow.expired.cert": testlib.set_to("true")})
	count(check.deny) == 1 with input as s
}

test_false_passes if {
	s := testlib.with_settings(testlib.snapshot({}), {"ca.plugin.root.allow.expired.cert": testlib.set_to("false")})
	count(check.deny) == 0 with input as s
}
