package csaudit.checks.oobm.shared_bmc_test

import data.csaudit.checks.oobm.shared_bmc as check
import data.csaudit.checks.oobm.testdata

test_two_hosts_one_bmc_are_both_flagged if {
	snap := testdata.with_db(testdata.snapshot({}), {"oobm": {
		"11": testdata.oobm_row(11, 1, {"address": "10.9.0.7"}),
		"12": testdata.oobm_row(12, 2, {"address": "10.9.0.7 ", "port": null}),
	}})
	count(check.deny) == 2 with input as snap
	some f in check.deny with input as snap
	f.resource.id == "1"
	f.evidence == {"bmc": "10.9.0.7:623", "other_hosts": ["kvm-2"]}
}

test_same_address_other_port_is_quiet if {
	snap := testdata.with_db(testdata.snapshot({}), {"oobm": {
		"11": testdata.oobm_row(11, 1, {"address": "10.9.0.7"}),
		"12": testdata.oobm_row(12, 2, {"address": "10.9.0.7", "port": "624"}),
	}})
	count(check.deny) == 0 with input as snap
}

test_distinct_bmcs_are_quiet if {
	count(check.deny) == 0 with input as testdata.snapshot({})
}
