package csaudit.checks.sysvm.agent_not_up_test

import data.csaudit.checks.sysvm.agent_not_up as check
import data.csaudit.testlib

snap(status) := testlib.snapshot({
	"vm_instance": {"1": testlib.vm(1, {"type": "SecondaryStorageVm", "instance_name": "s-1-VM"})},
	"host": {"13": testlib.host(13, {"name": "s-1-VM", "type": "SecondaryStorageVM", "status": status})},
})

test_ssvm_agent_disconnected_is_high if {
	some f in check.deny with input as snap("Disconnected")
	f.severity == "high"
	f.resource.type == "system_vm"
}

test_ssvm_agent_up_passes if {
	count(check.deny) == 0 with input as snap("Up")
}

test_missing_agent_row_is_flagged if {
	s := testlib.snapshot({"vm_instance": {"2": testlib.vm(2, {"type": "ConsoleProxy", "instance_name": "v-2-VM"})}})
	some f in check.deny with input as s
	f.evidence.agent_status == "missing"
}
