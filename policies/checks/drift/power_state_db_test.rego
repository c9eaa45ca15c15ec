package csaudit.checks.drift.power_state_db_test

import data.csaudit.checks.drift.power_state_db as check
import data.csaudit.testlib

at(fields) := testlib.snapshot({"vm_instance": {"7": testlib.vm(7, object.union({"power_state_update_time": "2026-11-22T09:00:00Z"}, fields))}})

test_running_with_power_report_missing_is_drift if {
	some f in check.deny with input as at({"power_state": "PowerReportMissing"})
	f.evidence.kind == "running-but-off"
}

test_stopped_but_powered_on_is_drift if {
	some f in check.deny with input as at({"state": "Stopped", "host_id": null, "power_state": "PowerOn"})
	f.evidence.kind == "stopped-but-on"
}

test_power_host_elsewhere_is_drift if {
	some f in check.deny with input as at({"power_host": 2})
	f.evidence.kind == "other-host"
}

test_in_sync_vm_is_quiet if {
	count(check.deny) == 0 with input as at({})
}

test_fresh_report_is_within_grace if {
	count(check.deny) == 0 with input as at({"power_state": "PowerOff", "power_state_update_time": "2026-11-22T09:59:00Z"})
}
