package csaudit.checks.settings.xenserver_overprovisioning_test

import data.csaudit.checks.settings.xenserver_overprovisioning as check
import data.csaudit.testlib

clusters := {
	"1": {"id": 1, "uuid": "c1", "name": "xen", "hypervisor_type": "XenServer", "data_center_id": 1, "removed": null},
	"2": {"id": 2, "uuid": "c2", "name": "kvm", "hypervisor_type": "KVM", "data_center_id": 1, "removed": null},
}

settings(mem_global, mem_overrides) := {
	"mem.overprovisioning.factor": {"value": mem_global, "default": "1", "overrides": {"cluster": mem_overrides}},
	"cpu.overprovisioning.factor": {"value": null, "default": "1", "overrides": {}},
}

test_cluster_override_above_4_is_flagged if {
	snap := testlib.with_settings(testlib.snapshot({"cluster": clusters}), settings(null, {"1": "6.0", "2": "6.0"}))
	testlib.ids(check.deny) == {"1"} with input as snap
}

test_global_above_4_reaches_xen_cluster_without_override if {
	snap := testlib.with_settings(testlib.snapshot({"cluster": clusters}), settings("5", {}))
	testlib.ids(check.deny) == {"1"} with input as snap
}

test_override_of_4_wins_over_global if {
	snap := testlib.with_settings(testlib.snapshot({"cluster": clusters}), settings("5", {"1": "4"}))
	count(check.deny) == 0 with input as snap
}

# The XenServer limit is Dynamic Memory Control's: CPU overprovisioning is free.
test_cpu_factor_above_4_is_not_judged if {
	s := object.union(settings(null, {}), {"cpu.overprovisioning.factor": {"value": "8", "overrides": {"cluster": {"1": "10"}}}})
	snap := testlib.with_settings(testlib.snapshot({"cluster": clusters}), s)
	count(check.deny) == 0 with input as snap
}
