package csaudit.checks.settings.integration_api_port_test

import data.csaudit.checks.settings.integration_api_port as check
import data.csaudit.testlib

test_unset_is_quiet if {
	snap := testlib.with_settings(testlib.snapshot({}), {"integration.api.port": {"value": null, "default": ""}})
	count(check.deny) == 0 with input as snap
}

test_zero_is_quiet if {
	snap := testlib.with_settings(testlib.snapshot({}), {"integration.api.port": testlib.set_to("0")})
	count(check.deny) == 0 with input as snap
}

test_8096_is_high if {
	snap := testlib.with_settings(testlib.snapshot({}), {"integration.api.port": testlib.set_to("8096")})
	some f in check.deny with input as snap
	f.severity == "high"
}

test_8096_listening_publicly_is_critical if {
	snap := testlib.with_local(
		testlib.with_settings(testlib.snapshot({}), {"integration.api.port": testlib.set_to("8096")}),
		{"listeners": {"listeners": [{"address": "0.0.0.0", "port": 8096}]}},
	)
	some f in check.deny with input as snap
	f.severity == "critical"
}
