package csaudit.checks.stuck.snapshot_transitional_test

import data.csaudit.checks.stuck.snapshot_transitional as check
import data.csaudit.testlib

snap_row(status, created) := {"id": 3, "uuid": "uuid-snap-3", "name": "vol40_daily", "status": status, "created": created, "removed": null, "volume_id": 40}

test_backing_up_for_five_hours_is_flagged if {
	snap := testlib.snapshot({"snapshots": {"3": snap_row("BackingUp", "2026-11-22T05:00:00Z")}})
	testlib.ids(check.deny) == {"3"} with input as snap
}

test_backed_up_snapshot_is_quiet if {
	snap := testlib.snapshot({"snapshots": {"3": snap_row("BackedUp", "2026-11-22T05:00:00Z")}})
	count(check.deny) == 0 with input as snap
}

test_recent_creating_snapshot_is_quiet if {
	snap := testlib.snapshot({"snapshots": {"3": snap_row("Creating", "2026-11-22T09:30:00Z")}})
	count(check.deny) == 0 with input as snap
}
