package csaudit.checks.drift.hypervisor_test

import data.csaudit.checks.drift.hypervisor as check
import data.csaudit.testlib

dom(name) := {"name": name, "uuid": name, "state": "running"}

snap(vm_fields, doms1, doms2) := testlib.with_hosts(
	testlib.snapshot({
		"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})},
		"vm_instance": {"7": testlib.vm(7, vm_fields)},
	}),
	{"uuid-host-1": {"domains": {"domains": doms1}}, "uuid-host-2": {"domains": {"domains": doms2}}},
)

test_vm_on_two_hosts_is_critical if {
	k := {f.discriminator: f.severity | some f in check.deny} with input as snap({}, [dom("i-2-7-VM")], [dom("i-2-7-VM")])
	k == {"running-twice": "critical"}
}

test_stopped_vm_running_is_critical if {
	k := {f.discriminator: f.severity | some f in check.deny} with input as snap({"state": "Stopped", "host_id": null}, [], [dom("i-2-7-VM")])
	k == {"running-while-off": "critical"}
}

test_vm_on_other_host_is_medium if {
	k := {f.discriminator: f.severity | some f in check.deny} with input as snap({}, [], [dom("i-2-7-VM")])
	k == {"other-host": "medium"}
}

test_unknown_cloudstack_domain_is_medium if {
	k := {f.discriminator: f.severity | some f in check.deny} with input as snap({}, [dom("i-2-7-VM"), dom("i-2-99-VM")], [])
	k == {"unknown-domain": "medium"}
}

test_consistent_host_is_quiet if {
	count(check.deny) == 0 with input as snap({}, [dom("i-2-7-VM"), dom("some-other-domain")], [])
}

test_uncollected_host_is_not_assumed_empty if {
	s := testlib.with_hosts(
		testlib.snapshot({"host": {"1": testlib.host(1, {})}, "vm_instance": {"7": testlib.vm(7, {})}}),
		{"uuid-host-1": {"agent": {"state": "active"}}},
	)
	count(check.deny) == 0 with input as s
}

test_running_vm_missing_from_its_host_is_medium if {
	k := {f.discriminator: f.severity | some f in check.deny} with input as snap({}, [], [])
	k == {"missing": "medium"}
}

# The libvirt collector names a domain being shut down "shutdown": it still runs.
test_domain_shutting_down_counts_as_running if {
	shutting := {"name": "i-2-7-VM", "uuid": "i-2-7-VM", "state": "shutdown"}
	k := {f.discriminator: f.severity | some f in check.deny} with input as snap({"state": "Stopped", "host_id": null}, [], [shutting])
	k == {"running-while-off": "critical"}
}
