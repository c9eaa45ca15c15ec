package csaudit.checks.oobm.default_credentials_test

import data.csaudit.checks.oobm.default_credentials as check
import data.csaudit.checks.oobm.testdata

test_working_default_credentials_are_critical if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {
		"default_credentials": true, "default_credentials_vendor": "Dell iDRAC", "auth": "ok", "credentials": "cloudstack",
	})})
	some f in check.deny with input as snap
	f.severity == "critical"
	contains(f.message, "Dell iDRAC")
}

test_untried_default_credentials_are_high if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"default_credentials": true})})
	some f in check.deny with input as snap
	f.severity == "high"
}

test_other_credentials_are_quiet if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"default_credentials": false, "auth": "ok"})})
	count(check.deny) == 0 with input as snap
}
