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

# Remediation by state: deleteSnapshot only where CloudStack accepts it.
finding(status) := f if {
	some f in check.deny with input as testlib.snapshot({"snapshots": {"3": snap_row(status, "2026-11-22T05:00:00Z")}})
}

texts(f) := [c.text | some c in f.remediation.commands]

deletes(f) if {
	some t in texts(f)
	startswith(t, "cmk delete snapshot")
}

test_in_progress_states_diagnose_then_save_then_error_then_delete if {
	every status in ["Creating", "BackingUp", "Copying"] {
		f := finding(status)
		t := texts(f)
		contains(t[2], "secondarystoragevm")
		startswith(t[3], "SELECT id, uuid, status, volume_id, created, removed FROM snapshots WHERE id = {id}")
		startswith(t[4], "SELECT id, job_status, job_cmd, created FROM async_job WHERE instance_type = 'Snapshot' AND instance_id = {id} AND job_status = 0")
		startswith(t[5], "UPDATE snapshots SET status = 'Error' WHERE id = {id} AND status = {status}")
		startswith(t[6], "cmk delete snapshot")
		f.args.status == status
	}
}

test_allocated_and_created_on_primary_delete_after_the_log if {
	every status in ["Allocated", "CreatedOnPrimary"] {
		f := finding(status)
		t := texts(f)
		contains(t[1], "management-server.log")
		startswith(t[2], "cmk delete snapshot")
		not contains(concat(" ", t), "UPDATE")
	}
}
