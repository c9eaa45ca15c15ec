package csaudit.checks.oobm.power_mismatch_test

import data.csaudit.checks.oobm.power_mismatch as check
import data.csaudit.checks.oobm.testdata

test_bmc_off_db_on_is_a_mismatch if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"auth": "ok", "power": "off"})})
	some f in check.deny with input as snap
	f.resource.id == "1"
	f.evidence == {"bmc_power": "off", "db_power_state": "On", "db_update_time": "2026-11-22T09:00:00Z"}
}

test_same_power_is_quiet if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"auth": "ok", "power": "on"})})
	count(check.deny) == 0 with input as snap
}

test_unknown_db_state_is_left_to_power_unknown if {
	snap := testdata.with_db(
		testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"auth": "ok", "power": "off"})}),
		{"oobm": {"11": testdata.oobm_row(11, 1, {"power_state": "Unknown"})}},
	)
	count(check.deny) == 0 with input as snap
}
