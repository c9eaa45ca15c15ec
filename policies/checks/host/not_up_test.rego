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

# last_ping 40 and 10 minutes before testlib.now (epoch ms >> 10).
ping_40_min_ago := 1753260937

ping_10_min_ago := 1753262695

test_disabled_host_in_alert_with_vms_is_high if {
	snap := testlib.snapshot({
		"host": {"1": testlib.host(1, {"status": "Alert", "resource_state": "Disabled"})},
		"vm_instance": {"10": testlib.vm(10, {"host_id": 1})},
	})
	some f in check.deny with input as snap
	f.severity == "high"
}

test_disabled_empty_host_is_info if {
	snap := testlib.snapshot({"host": {"1": testlib.host(1, {"status": "Alert", "resource_state": "Disabled"})}, "vm_instance": {}})
	some f in check.deny with input as snap
	f.severity == "info"
}

test_host_stuck_connecting_is_reported if {
	snap := testlib.snapshot({
		"host": {"1": testlib.host(1, {"status": "Connecting", "last_ping": ping_40_min_ago})},
		"vm_instance": {"10": testlib.vm(10, {"host_id": 1})},
	})
	some f in check.deny with input as snap
	f.severity == "high"
	f.evidence.minutes == 40
	contains(f.message, "Connecting for at least 40 minutes")
}

test_rebalancing_empty_host_beyond_threshold_is_medium if {
	snap := testlib.snapshot({"host": {"1": testlib.host(1, {"status": "Rebalancing", "last_ping": ping_40_min_ago})}, "vm_instance": {}})
	some f in check.deny with input as snap
	f.severity == "medium"
}

test_host_connecting_within_threshold_is_quiet if {
	snap := testlib.snapshot({"host": {"1": testlib.host(1, {"status": "Connecting", "last_ping": ping_10_min_ago})}, "vm_instance": {}})
	count(check.deny) == 0 with input as snap
	some f in check.deny with input as snap with data.csaudit.params.host_transitional_minutes as 5
	f.resource.id == "1"
}

test_up_host_is_quiet if {
	snap := testlib.snapshot({"host": {"1": testlib.host(1, {"last_ping": ping_40_min_ago})}, "vm_instance": {"10": testlib.vm(10, {"host_id": 1})}})
	count(check.deny) == 0 with input as snap
}
