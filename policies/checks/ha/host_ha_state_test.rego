package csaudit.checks.ha.host_ha_state_test

import data.csaudit.checks.ha.host_ha_state as check
import data.csaudit.testlib

snap(state, host, vms) := testlib.snapshot({
	"host": {"1": testlib.host(1, host)},
	"vm_instance": vms,
	"ha_config": {"3": {"id": 3, "resource_id": 1, "resource_type": "Host", "enabled": 1, "ha_state": state, "provider": "kvmhaprovider", "update_time": "2026-11-22T09:00:00Z"}},
})

one_vm := {"10": testlib.vm(10, {"host_id": 1})}

sev(s) := x if {
	x := {f.severity | some f in check.deny} with input as s
}

test_fenced_host_with_vms_is_high if {
	sev(snap("Fenced", {"status": "Down"}, one_vm)) == {"high"}
}

test_degraded_empty_host_is_medium if {
	sev(snap("Degraded", {"status": "Disconnected"}, {})) == {"medium"}
}

test_suspect_is_reported if {
	sev(snap("Suspect", {}, one_vm)) == {"high"}
}

test_ineligible_enabled_host_is_medium if {
	sev(snap("Ineligible", {}, one_vm)) == {"medium"}
}

test_ineligible_in_maintenance_is_info if {
	sev(snap("Ineligible", {"resource_state": "Maintenance"}, {})) == {"info"}
}

test_available_and_disabled_are_quiet if {
	count(check.deny) == 0 with input as snap("Available", {}, one_vm)
	count(check.deny) == 0 with input as snap("Disabled", {}, one_vm)
}

test_ha_disabled_row_is_quiet if {
	s := snap("Fenced", {}, one_vm)
	count(check.deny) == 0 with input as object.union(s, {"db": object.union(s.db, {"ha_config": {"3": {"enabled": 0}}})})
}
