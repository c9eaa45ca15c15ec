package csaudit.checks.stuck.volume_transitional_test

import data.csaudit.checks.stuck.volume_transitional as check
import data.csaudit.testlib

vol(state, updated) := {"id": 40, "uuid": "uuid-vol-40", "name": "DATA-40", "state": state, "updated": updated, "created": "2026-11-01T00:00:00Z", "removed": null, "instance_id": 7, "pool_id": 1}

test_volume_migrating_for_hours_is_flagged if {
	snap := testlib.snapshot({"volumes": {"40": vol("Migrating", "2026-11-22T06:00:00Z")}})
	testlib.ids(check.deny) == {"40"} with input as snap
}

test_ready_volume_is_quiet if {
	snap := testlib.snapshot({"volumes": {"40": vol("Ready", "2026-11-22T06:00:00Z")}})
	count(check.deny) == 0 with input as snap
}

test_live_job_on_the_volume_suppresses if {
	snap := testlib.snapshot({
		"volumes": {"40": vol("Copying", "2026-11-22T06:00:00Z")},
		"async_job": {"9": {"id": 9, "job_status": 0, "job_executing_msid": 1001, "instance_type": "Volume", "instance_id": 40}},
		"mshost": {"1": testlib.mshost(1, {})},
	})
	count(check.deny) == 0 with input as snap
}
