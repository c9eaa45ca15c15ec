package csaudit.checks.sysvm.consoleproxy_domain_test

import data.csaudit.checks.sysvm.consoleproxy_domain as check
import data.csaudit.testlib

snap(st) := testlib.with_settings(testlib.snapshot({"data_center": {"1": testlib.zone(1, {})}}), {"consoleproxy.url.domain": st})

test_realhostip_is_medium if {
	some f in check.deny with input as snap(testlib.set_to("*.realhostip.com"))
	f.severity == "medium"
}

test_empty_is_low if {
	some f in check.deny with input as snap(testlib.default_of(""))
	f.severity == "low"
}

test_zone_override_is_filed_against_zone if {
	some f in check.deny with input as snap({"value": "*.console.example.org", "default": "", "overrides": {"zone": {"1": "realhostip.com"}}})
	f.resource.type == "zone"
}

test_own_domain_passes if {
	count(check.deny) == 0 with input as snap(testlib.set_to("*.console.example.org"))
}
