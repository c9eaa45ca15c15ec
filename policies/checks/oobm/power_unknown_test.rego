package csaudit.checks.oobm.power_unknown_test

import data.csaudit.checks.oobm.power_unknown as check
import data.csaudit.checks.oobm.testdata

unknown := testdata.with_db(testdata.snapshot({}), {"oobm": {
	"11": testdata.oobm_row(11, 1, {"power_state": "Unknown"}),
	"12": testdata.oobm_row(12, 2, {"power_state": "Unknown", "enabled": 0}),
}})

test_enabled_unknown_is_medium if {
	some f in check.deny with input as unknown
	f.resource.id == "1"
	f.severity == "medium"
	count(check.deny) == 1 with input as unknown
}

test_unknown_on_host_ha_is_high if {
	snap := testdata.with_db(unknown, {"ha_config": {"1": {"id": 1, "resource_id": 1, "resource_type": "Host", "enabled": true}}})
	some f in check.deny with input as snap
	f.severity == "high"
}

test_on_is_quiet if {
	count(check.deny) == 0 with input as testdata.snapshot({})
}
