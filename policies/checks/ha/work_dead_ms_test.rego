package csaudit.checks.ha.work_dead_ms_test

import data.csaudit.checks.ha.work_dead_ms as check
import data.csaudit.testlib

db(step, ms_state) := {
	"vm_instance": {"7": testlib.vm(7, {"ha_enabled": true})},
	"op_ha_work": {"3": {"id": 3, "instance_id": 7, "type": "HA", "step": step, "mgmt_server_id": 1001, "created": "2026-11-22T08:00:00Z", "taken": "2026-11-22T08:00:05Z", "reason": "HostDown"}},
	"mshost": {"1": testlib.mshost(1, {"state": ms_state, "last_update": "2026-11-22T08:10:00Z"})},
}

test_ha_work_of_down_ms_is_filed_against_the_vm if {
	testlib.ids(check.deny) == {"7"} with input as testlib.snapshot(db("Investigating", "Down"))
}

test_done_work_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db("Done", "Down"))
}

test_work_of_live_ms_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot({
		"vm_instance": {"7": testlib.vm(7, {})},
		"op_ha_work": {"3": {"id": 3, "instance_id": 7, "type": "HA", "step": "Scheduled", "mgmt_server_id": 1001}},
		"mshost": {"1": testlib.mshost(1, {})},
	})
}
