package csaudit.checks.stuck.expunge_backlog_test

import data.csaudit.checks.stuck.expunge_backlog as check
import data.csaudit.testlib

test_destroyed_for_three_days_is_flagged if {
	snap := testlib.snapshot({"vm_instance": {"5": testlib.vm(5, {"state": "Destroyed", "host_id": null, "update_time": "2026-11-19T09:00:00Z"})}})
	testlib.ids(check.deny) == {"5"} with input as snap
}

test_destroyed_within_delay_is_quiet if {
	snap := testlib.snapshot({"vm_instance": {"5": testlib.vm(5, {"state": "Destroyed", "host_id": null, "update_time": "2026-11-21T12:00:00Z"})}})
	count(check.deny) == 0 with input as snap
}

test_shorter_expunge_delay_is_followed if {
	snap := testlib.with_settings(
		testlib.snapshot({"vm_instance": {"5": testlib.vm(5, {"state": "Destroyed", "host_id": null, "update_time": "2026-11-22T07:00:00Z"})}}),
		{"expunge.delay": testlib.set_to("3600"), "expunge.interval": testlib.set_to("3600")},
	)
	testlib.ids(check.deny) == {"5"} with input as snap
}
