package csaudit.checks.drift.power_state_db_test

import data.csaudit.checks.drift.power_state_db as check
import data.csaudit.testlib

# The state last changed an hour ago (testlib.vm); the power report is fresh, as
# CloudStack rewrites it on every contradicting report.
at(fields) := testlib.snapshot({"vm_instance": {"7": testlib.vm(7, object.union({"power_state_update_time": "2026-11-22T09:59:30Z"}, fields))}})

kinds(s) := k if {
	k := {f.discriminator: f.severity | some f in check.deny} with input as s
}

test_running_with_power_report_missing_is_drift if {
	kinds(at({"power_state": "PowerReportMissing"})) == {"running-but-off": "medium"}
}

test_stopped_but_powered_on_is_drift if {
	kinds(at({"state": "Stopped", "host_id": null, "power_state": "PowerOn"})) == {"stopped-but-on": "medium"}
}

test_power_host_elsewhere_is_drift if {
	kinds(at({"power_host": 2})) == {"other-host": "medium"}
}

test_in_sync_vm_is_quiet if {
	count(check.deny) == 0 with input as at({})
}

# Within the grace window (2 x ping.interval = 120 s) after a state change the
# disagreement may be a change CloudStack is still reconciling: info, not hidden.
test_recent_state_change_is_info if {
	s := at({"power_state": "PowerOff", "update_time": "2026-11-22T09:59:00Z"})
	kinds(s) == {"running-but-off": "info"}
	some f in check.deny with input as s
	f.evidence.info_because == ["the state changed 60 s ago, within the 120 s grace window"]
}

# The defect the age used to hide: the report is 30 s old, but the
# contradiction has lasted since the state changed an hour ago.
test_lasting_contradiction_behind_fresh_reports_is_medium if {
	s := at({"power_state": "PowerOff"})
	kinds(s) == {"running-but-off": "medium"}
	some f in check.deny with input as s
	contains(f.message, "3600 s ago")
}

test_state_change_older_than_grace_is_medium if {
	kinds(at({"power_state": "PowerOff", "update_time": "2026-11-22T09:57:59Z"})) == {"running-but-off": "medium"}
}

test_without_update_time_the_report_age_is_used if {
	kinds(at({"power_state": "PowerOff", "update_time": null})) == {"running-but-off": "info"}
	kinds(at({"power_state": "PowerOff", "update_time": null, "power_state_update_time": "2026-11-22T09:00:00Z"})) == {"running-but-off": "medium"}
}

test_grace_param_overrides if {
	k := kinds(at({"power_host": 2, "update_time": "2026-11-22T09:59:00Z"})) with data.csaudit.params.drift_grace_seconds as 30
	k == {"other-host": "medium"}
}

test_live_work_job_lowers_to_info if {
	s := at({"power_state": "PowerOff"})
	job := object.union(s, {"db": object.union(s.db, {
		"mshost": {"1": testlib.mshost(1, {})},
		"async_job": {"40": {"id": 40, "job_status": 0, "job_executing_msid": 1001, "removed": null}},
		"vm_work_job": {"40": {"id": 40, "vm_instance_id": 7, "step": "Migrating"}},
	})})
	kinds(job) == {"running-but-off": "info"}
}
