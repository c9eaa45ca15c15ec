package csaudit.checks.host.agent_inactive_test

import data.csaudit.checks.host.agent_inactive as check
import data.csaudit.testlib

snap(state) := testlib.with_hosts(
	testlib.snapshot({"host": {"1": testlib.host(1, {})}, "vm_instance": {"9": testlib.vm(9, {})}}),
	{"uuid-host-1": {"agent": {"state": state}}},
)

test_failed_agent_with_vms_is_high if {
	some f in check.deny with input as snap("failed")
	f.severity == "high"
}

test_active_agent_is_quiet if {
	count(check.deny) == 0 with input as snap("active")
}

test_no_systemd_is_info if {
	some f in check.deny with input as snap("unknown-no-systemd")
	f.severity == "info"
}

test_chroot_is_info if {
	some f in check.deny with input as snap("unknown-chroot")
	f.severity == "info"
	f.evidence.agent_state == "unknown-chroot"
}

test_inactive_without_vms_is_medium if {
	some f in check.deny with input as testlib.with_hosts(
		testlib.snapshot({"host": {"1": testlib.host(1, {})}}),
		{"uuid-host-1": {"agent": {"state": "inactive"}}},
	)
	f.severity == "medium"
}
