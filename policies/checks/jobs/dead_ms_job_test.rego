package csaudit.checks.jobs.dead_ms_job_test

import data.csaudit.checks.jobs.dead_ms_job as check
import data.csaudit.testlib

job(status, msid) := {"id": 5, "uuid": "j5", "job_cmd": "StartVM", "job_status": status, "job_executing_msid": msid, "job_init_msid": msid, "created": "2026-11-22T09:00:00Z", "removed": null, "instance_type": "VirtualMachine", "instance_id": 7}

ms := {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {"state": "Down", "last_update": "2026-11-21T00:00:00Z"})}

test_pending_on_down_ms_is_flagged if {
	testlib.ids(check.deny) == {"5"} with input as testlib.snapshot({"mshost": ms, "async_job": {"5": job(0, 1002)}})
}

test_pending_on_live_ms_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot({"mshost": ms, "async_job": {"5": job(0, 1001)}})
}

test_finished_job_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot({"mshost": ms, "async_job": {"5": job(1, 1002)}})
}

# The owner's msid reaches the METADATA SQL as an arg, never as text.
test_owner_msid_is_an_arg if {
	some f in check.deny with input as testlib.snapshot({"mshost": ms, "async_job": {"5": job(0, 1002)}})
	f.args.msid == 1002
}
