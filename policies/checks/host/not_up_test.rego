package csaudit.checks.host.not_up_test

import data.csaudit.checks.host.not_up as check
import data.csaudit.testlib

test_alert_host_with_vms_is_high if {
	snap := testlib.snapshot({
		"host": {"1": testlib.host(1, {"status": "Alert"}), "2": testlib.host(2, {})},
		"vm_instance": {"10": testlib.vm(10, {"host_id": 1})},
	})
	some f in check.deny with input as snap
	f.resource.id == "1"
	f.severity == "high"
	count(check.deny) == 1 with input as snap
}

test_disconnected_empty_host_is_medium if {
	snap := testlib.snapshot({"host": {"1": testlib.host(1, {"status": "Disconnected"})}, "vm_instance": {}})
	some f in check.deny with input as snap
	f.severity == "medium"
}

test_maintenance_host_is_info if {
	snap := testlib.snapshot({"host": {"1": testlib.host(1, {"status": "Down", "resource_state": "Maintenance"})}, "vm_instance": {}})
	some f in check.deny with input as snap
	f.severity == "info"
}

test_system_vm_agent_rows_are_ignored if {
	snap := testlib.snapshot({"host": {"5": testlib.host(5, {"status": "Alert", "type": "SecondaryStorageVM"})}, "vm_instance": {}})
	count(check.deny) == 0 with input as snap
}
