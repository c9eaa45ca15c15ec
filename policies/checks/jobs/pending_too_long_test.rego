package csaudit.checks.jobs.pending_too_long_test

import data.csaudit.checks.jobs.pending_too_long as check
import data.csaudit.testlib

db(created, ms_state) := {
	"async_job": {"9": {"id": 9, "uuid": "uuid-job-9", "job_cmd": "org.apache.cloudstack.api.command.user.volume.AttachVolumeCmd", "job_status": 0, "job_executing_msid": 1001, "created": created, "removed": null}},
	"mshost": {"1": testlib.mshost(1, {"state": ms_state})},
}

test_job_running_three_hours_is_flagged if {
	testlib.ids(check.deny) == {"9"} with input as testlib.snapshot(db("2026-11-22T07:00:00Z", "Up"))
}

test_recent_job_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db("2026-11-22T09:30:00Z", "Up"))
}

test_job_of_dead_ms_is_left_to_job_001 if {
	count(check.deny) == 0 with input as testlib.snapshot(db("2026-11-22T07:00:00Z", "Down"))
}
