package csaudit.checks.sysvm.no_cpvm_test

import data.csaudit.checks.sysvm.no_cpvm as check
import data.csaudit.testlib

snap(state) := testlib.snapshot({
	"data_center": {"1": testlib.zone(1, {})},
	"vm_instance": {"2": testlib.vm(2, {"type": "ConsoleProxy", "instance_name": "v-2-VM", "state": state})},
})

test_stopped_cpvm_is_flagged if {
	testlib.ids(check.deny) == {"1"} with input as snap("Stopped")
}

test_running_cpvm_passes if {
	count(check.deny) == 0 with input as snap("Running")
}
