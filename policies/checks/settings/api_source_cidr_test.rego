package csaudit.checks.settings.api_source_cidr_test

import data.csaudit.checks.settings.api_source_cidr as check
import data.csaudit.testlib

test_default_open_list_is_flagged if {
	s := testlib.with_settings(testlib.snapshot({}), {"api.allowed.source.cidr.list": testlib.default_of("0.0.0.0/0,::/0")})
	count(check.deny) == 1 with input as s
}

test_restricted_list_passes if {
	s := testlib.with_settings(testlib.snapshot({}), {"api.allowed.source.cidr.list": testlib.set_to("10.0.0.0/8, 192.168.0.0/16")})
	count(check.deny) == 0 with input as s
}

test_open_account_override_is_flagged if {
	s := testlib.with_settings(testlib.snapshot({}), {"api.allowed.source.cidr.list": {"value": "10.0.0.0/8", "default": "0.0.0.0/0,::/0", "overrides": {"account": {"5": "0.0.0.0/0"}}}})
	some f in check.deny with input as s
	f.resource.type == "account"
}
