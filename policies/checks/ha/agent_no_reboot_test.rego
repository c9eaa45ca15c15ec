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
