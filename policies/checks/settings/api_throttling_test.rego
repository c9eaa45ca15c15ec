package csaudit.checks.settings.api_throttling_test

import data.csaudit.checks.settings.api_throttling as check
import data.csaudit.testlib

test_default_false_is_flagged if {
	snap := testlib.with_settings(testlib.snapshot({}), {"api.throttling.enabled": {"value": null, "default": "false"}})
	count(check.deny) == 1 with input as snap
}

test_enabled_is_quiet if {
	snap := testlib.with_settings(testlib.snapshot({}), {"api.throttling.enabled": testlib.set_to("true")})
	count(check.deny) == 0 with input as snap
}
