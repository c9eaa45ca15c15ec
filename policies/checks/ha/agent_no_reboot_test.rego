package csaudit.checks.ha.agent_no_reboot_test

import data.csaudit.checks.ha.agent_no_reboot as check
import data.csaudit.testlib

snap(v) := testlib.with_hosts(
	testlib.snapshot({"host": {"1": testlib.host(1, {})}, "vm_instance": {"7": testlib.vm(7, {"ha_enabled": true})}}),
	{"uuid-host-1": {"agent_properties": {"values": {"reboot.host.and.alert.management.on.heartbeat.timeout": v}}}},
)

test_false_on_ha_host_is_high if {
	testlib.ids(check.deny) == {"1"} with input as snap("false")
}

test_true_passes if {
	count(check.deny) == 0 with input as snap("true")
}

test_host_in_zone_with_vm_ha_off_is_left_to_ha_007 if {
	base := snap("false")
	s := testlib.with_settings(
		object.union(base, {"db": object.union(base.db, {"data_center": {"1": testlib.zone(1, {})}})}),
		{"vm.ha.enabled": {"value": "false", "default": "true"}},
	)
	count(check.deny) == 0 with input as s
}
