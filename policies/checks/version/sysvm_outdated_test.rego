package csaudit.checks.version.sysvm_outdated_test

import data.csaudit.checks.version.sysvm_outdated as check
import data.csaudit.testlib

tmpl(id, name) := {"id": id, "uuid": sprintf("uuid-t-%v", [id]), "name": name, "type": "SYSTEM", "removed": null}

db(template_id, vm_fields) := {
	"mshost": {"1": testlib.mshost(1, {})},
	"host": {"50": testlib.host(50, {"type": "ConsoleProxy", "name": "v-2-VM", "version": "4.22.0.0"})},
	"vm_template": {
		"201": tmpl(201, "systemvm-kvm-4.22.0-x86_64"),
		"190": tmpl(190, "systemvm-kvm-4.19.1"),
		"7": tmpl(7, "SystemVM Template (KVM)"),
	},
	"vm_instance": {
		"1": testlib.vm(1, object.union({"type": "SecondaryStorageVm", "instance_name": "s-1-VM", "vm_template_id": template_id}, vm_fields)),
		"2": testlib.vm(2, {"type": "ConsoleProxy", "instance_name": "v-2-VM", "vm_template_id": 201}),
	},
}

test_ssvm_from_an_old_template_is_flagged if {
	s := testlib.snapshot(db(190, {}))
	testlib.ids(check.deny) == {"1"} with input as s
	some f in check.deny with input as s
	f.evidence.version == "4.19.1"
	f.evidence.source == "template"
}

test_current_templates_are_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db(201, {}))
}

# A legacy template name carries no release: the agent's version decides.
test_legacy_name_falls_back_to_the_agent_version if {
	s := testlib.snapshot(object.union(db(7, {}), {"host": {"51": testlib.host(51, {"type": "SecondaryStorageVM", "name": "s-1-VM", "version": "4.20.1.0"})}}))
	some f in check.deny with input as s
	f.evidence.source == "agent"
	s2 := testlib.snapshot(object.union(db(7, {}), {"host": {"51": testlib.host(51, {"type": "SecondaryStorageVM", "name": "s-1-VM", "version": "4.22.0.0"})}}))
	count(check.deny) == 0 with input as s2
}

test_destroyed_system_vm_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db(190, {"state": "Destroyed"}))
}
