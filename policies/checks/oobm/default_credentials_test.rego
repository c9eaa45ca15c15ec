package csaudit.checks.oobm.default_credentials_test

import data.csaudit.checks.oobm.default_credentials as check
import data.csaudit.checks.oobm.testdata

snap(fields) := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, object.union(
	{"default_credentials": true, "default_credentials_vendor": "Dell iDRAC"},
	fields,
))})

test_stored_default_accepted_is_critical if {
	s := snap({"auth": "ok", "credentials": "cloudstack"})
	some f in check.deny with input as s
	f.severity == "critical"
	contains(f.message, "CloudStack stores the Dell iDRAC default")
	contains(f.message, "the BMC accepts them")
	count(check.deny) == 1 with input as s
}

test_stored_default_is_reported_whatever_the_login if {
	some f in check.deny with input as snap({"auth": "failed", "credentials": "cloudstack"})
	f.severity == "medium"
	contains(f.message, "CloudStack stores")
	contains(f.message, "the BMC rejected them")
	some g in check.deny with input as snap({"credentials": "cloudstack"})
	g.severity == "high"
	contains(g.message, "no login was tried")
}

test_configured_default_accepted_is_critical if {
	s := snap({"auth": "ok", "credentials": "config"})
	some f in check.deny with input as s
	f.severity == "critical"
	contains(f.message, "accepts the Dell iDRAC default")
	not contains(f.message, "CloudStack")
}

# csaudit's own configured credentials say nothing about the BMC unless it
# accepted them.
test_configured_default_rejected_or_untried_is_quiet if {
	count(check.deny) == 0 with input as snap({"auth": "failed", "credentials": "config"})
	count(check.deny) == 0 with input as snap({"auth": "not_tried", "credentials": "config"})
	count(check.deny) == 0 with input as snap({"credentials": "config"})
}

test_other_credentials_are_quiet if {
	s := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"default_credentials": false, "auth": "ok", "credentials": "cloudstack"})})
	count(check.deny) == 0 with input as s
}
