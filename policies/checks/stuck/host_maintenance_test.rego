package csaudit.checks.stuck.host_maintenance_test

import data.csaudit.checks.stuck.host_maintenance as check
import data.csaudit.testlib

db(state, work_created) := {
	"host": {"4": testlib.host(4, {"resource_state": state, "lastUpdated": "2026-11-22T09:55:00Z"})},
	"vm_instance": {
		"7": testlib.vm(7, {"host_id": 4}),
		"8": testlib.vm(8, {"host_id": 4, "state": "Migrating"}),
	},
	"op_ha_work": {"1": {"id": 1, "instance_id": 7, "type": "Migration", "step": "Migrating", "host_id": 4, "created": work_created, "reason": "HostMaintenance"}},
	"storage_pool": {"1": {"id": 1, "scope": "HOST", "removed": null}},
	"volumes": {"70": {"id": 70, "instance_id": 7, "pool_id": 1, "removed": null}},
}

test_prepare_for_maintenance_for_hours_is_diagnosed if {
	some f in check.deny with input as testlib.snapshot(db("PrepareForMaintenance", "2026-11-22T07:00:00Z"))
	f.resource.id == "4"
	f.evidence.vms_on_local_storage == ["i-2-7-VM"]
	f.evidence.vms_in_transition == ["i-2-8-VM"]
}

test_recent_prepare_for_maintenance_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db("PrepareForMaintenance", "2026-11-22T09:50:00Z"))
}

test_error_in_maintenance_is_flagged_at_once if {
	testlib.ids(check.deny) == {"4"} with input as testlib.snapshot(db("ErrorInMaintenance", "2026-11-22T09:58:00Z"))
}

test_enabled_host_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db("Enabled", "2026-11-22T07:00:00Z"))
}

test_untimed_prepare_for_maintenance_is_low if {
	s := testlib.snapshot({"host": {"4": testlib.host(4, {"resource_state": "PrepareForMaintenance", "lastUpdated": null})}})
	[f] := [f | some f in check.deny] with input as s
	f.severity == "low"
}
