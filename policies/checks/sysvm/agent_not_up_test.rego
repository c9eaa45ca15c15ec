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

ssh_commands(f) := [c.text | some c in f.remediation.commands; startswith(c.text, "ssh ")]

test_kvm_system_vm_is_reached_over_link_local_from_its_host if {
	some f in check.deny with input as snap("Disconnected")
	every t in ssh_commands(f) {
		contains(t, "-i /root/.ssh/id_rsa.cloud -p 3922 root@<link-local-ip>")
	}
	count(ssh_commands(f)) == 2
	f.remediation.commands[count(f.remediation.commands) - 1].text == "cmk destroy systemvm id={uuid}"
}

test_vmware_system_vm_is_reached_from_the_management_server if {
	s := testlib.snapshot({
		"vm_instance": {"1": testlib.vm(1, {"type": "SecondaryStorageVm", "instance_name": "s-1-VM", "hypervisor_type": "VMware"})},
		"host": {"13": testlib.host(13, {"name": "s-1-VM", "type": "SecondaryStorageVM", "status": "Alert"})},
	})
	some f in check.deny with input as s
	every t in ssh_commands(f) {
		contains(t, "/var/lib/cloudstack/management/.ssh/id_rsa -p 3922 root@<private-ip>")
	}
	count(ssh_commands(f)) == 2
}
