package csaudit.checks.settings.router_health_checks_test

import data.csaudit.checks.settings.router_health_checks as check
import data.csaudit.testlib

test_false_is_flagged if {
	s := testlib.with_settings(testlib.snapshot({}), {"router.health.checks.enabled": testlib.set_to("false")})
	count(check.deny) == 1 with input as s
}

test_true_passes if {
	s := testlib.with_settings(testlib.snapshot({}), {"router.health.checks.enabled": testlib.set_to("true")})
	count(check.deny) == 0 with input as s
}
