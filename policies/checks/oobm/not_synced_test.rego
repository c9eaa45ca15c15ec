package csaudit.checks.oobm.not_synced_test

import data.csaudit.checks.oobm.not_synced as check
import data.csaudit.checks.oobm.testdata

test_old_update_with_live_owner_is_quiet if {
	# update_time is an hour old, but the owner is alive: a stable host.
	count(check.deny) == 0 with input as testdata.snapshot({})
}

test_dead_owner_and_old_update_is_flagged if {
	snap := testdata.with_db(testdata.snapshot({}), {"mshost": {"1": {
		"id": 1, "msid": 1001, "state": "Down", "last_update": "2026-11-22T08:00:00Z", "removed": null,
	}}})
	count(check.deny) == 2 with input as snap
}

test_no_owner_never_updated_is_flagged if {
	snap := testdata.with_db(testdata.snapshot({}), {"oobm": {"11": testdata.oobm_row(11, 1, {"mgmt_server_id": null, "update_time": null, "power_state": null})}})
	some f in check.deny with input as snap
	f.resource.id == "1"
}

test_no_owner_but_recent_update_is_quiet if {
	snap := testdata.with_db(testdata.snapshot({}), {"oobm": {"11": testdata.oobm_row(11, 1, {"mgmt_server_id": null, "update_time": "2026-11-22T09:55:00Z"})}})
	count(check.deny) == 0 with input as snap
}

test_threshold_is_a_parameter if {
	snap := testdata.with_db(testdata.snapshot({}), {"oobm": {"11": testdata.oobm_row(11, 1, {"mgmt_server_id": null, "update_time": "2026-11-22T09:55:00Z"})}})
	count(check.deny) == 1 with input as snap with data.csaudit.params.oobm_stale_minutes as 2
}
