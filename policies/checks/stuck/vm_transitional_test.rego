package csaudit.checks.stuck.vm_transitional_test

import data.csaudit.checks.stuck.vm_transitional as check
import data.csaudit.testlib

old := "2026-11-22T08:00:00Z"

test_stopping_for_two_hours_is_flagged if {
	snap := testlib.snapshot({"vm_instance": {"7": testlib.vm(7, {"state": "Stopping", "update_time": old})}})
	testlib.ids(check.deny) == {"7"} with input as snap
}

test_expunging_with_removed_set_is_final if {
	snap := testlib.snapshot({"vm_instance": {"8": testlib.vm(8, {"state": "Expunging", "update_time": old, "removed": old})}})
	count(check.deny) == 0 with input as snap
}

test_recent_transition_is_not_flagged if {
	snap := testlib.snapshot({"vm_instance": {"9": testlib.vm(9, {"state": "Starting", "update_time": "2026-11-22T09:50:00Z"})}})
	count(check.deny) == 0 with input as snap
}

test_live_job_on_alive_ms_suppresses if {
	snap := testlib.snapshot({
		"vm_instance": {"7": testlib.vm(7, {"state": "Migrating", "update_time": old})},
		"vm_work_job": {"55": {"id": 55, "vm_instance_id": 7, "step": "Migrating"}},
		"async_job": {"55": {"id": 55, "job_status": 0, "job_executing_msid": 1001}},
		"mshost": {"1": testlib.mshost(1, {})},
	})
	count(check.deny) == 0 with input as snap
}

test_job_owned_by_dead_ms_does_not_count if {
	snap := testlib.snapshot({
		"vm_instance": {"7": testlib.vm(7, {"state": "Migrating", "update_time": old})},
		"vm_work_job": {"55": {"id": 55, "vm_instance_id": 7, "step": "Migrating"}},
		"async_job": {"55": {"id": 55, "job_status": 0, "job_executing_msid": 1001}},
		"mshost": {"1": testlib.mshost(1, {"state": "Down", "last_update": old})},
	})
	testlib.ids(check.deny) == {"7"} with input as snap
}

test_system_vm_starting_uses_300_seconds if {
	snap := testlib.snapshot({"vm_instance": {"3": testlib.vm(3, {
		"state": "Starting", "type": "SecondaryStorageVm", "instance_name": "s-3-VM",
		"update_time": "2026-11-22T09:50:00Z",
	})}})
	some f in check.deny with input as snap
	f.resource.type == "system_vm"
}

test_allocator_failure_is_evidenced if {
	snap := testlib.snapshot({"vm_instance": {"4": testlib.vm(4, {"state": "Starting", "host_id": null, "update_time": old})}})
	some f in check.deny with input as snap
	f.evidence.allocator_failed == true
}
