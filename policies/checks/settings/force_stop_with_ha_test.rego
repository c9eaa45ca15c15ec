package csaudit.checks.settings.force_stop_with_ha_test

import data.csaudit.checks.settings.force_stop_with_ha as check
import data.csaudit.testlib

snap(ha) := testlib.with_settings(
	testlib.snapshot({"vm_instance": {"7": testlib.vm(7, {"ha_enabled": ha})}}),
	{"allow.user.force.stop.vm": testlib.default_of("true")},
)

test_force_stop_with_ha_vms_is_flagged if {
	count(check.deny) == 1 with input as snap(true)
}

test_no_ha_vms_is_quiet if {
	count(check.deny) == 0 with input as snap(false)
}
