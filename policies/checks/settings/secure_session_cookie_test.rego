package csaudit.checks.settings.secure_session_cookie_test

import data.csaudit.checks.settings.secure_session_cookie as check
import data.csaudit.testlib

test_false_is_flagged if {
	s := testlib.with_settings(testlib.snapshot({}), {"enable.secure.session.cookie": testlib.set_to("false")})
	count(check.deny) == 1 with input as s
}

test_true_passes if {
	s := testlib.with_settings(testlib.snapshot({}), {"enable.secure.session.cookie": testlib.set_to("true")})
	count(check.deny) == 0 with input as s
}
