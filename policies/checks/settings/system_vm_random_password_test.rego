package csaudit.checks.settings.system_vm_random_password_test

import data.csaudit.checks.settings.system_vm_random_password as check
import data.csaudit.testlib

test_false_is_flagged if {
	snap := testlib.with_settings(testlib.snapshot({}), {"system.vm.random.password": {"value": "false", "default": "false"}})
	count(check.deny) == 1 with input as snap
}

test_true_is_quiet if {
	snap := testlib.with_settings(testlib.snapshot({}), {"system.vm.random.password": testlib.set_to("true")})
	count(check.deny) == 0 with input as snap
}
