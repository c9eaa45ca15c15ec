package csaudit.checks.ha.capacity_n1_test

import data.csaudit.checks.ha.capacity_n1 as check
import data.csaudit.testlib

gib := 1073741824

db(n_vms) := {
	"cluster": {"1": testlib.cluster(1, {})},
	"host": {
		"1": testlib.host(1, {"ram": 16 * gib}),
		"2": testlib.host(2, {"ram": 16 * gib}),
	},
	"service_offering": {"1": {"id": 1, "ram_size": 4096}},
	"vm_instance": {sprintf("%d", [i]): testlib.vm(i, {"ha_enabled": true, "host_id": 1 + (i % 2)}) | some i in numbers.range(1, n_vms)},
}

snap(n) := testlib.with_settings(testlib.snapshot(db(n)), {"mem.overprovisioning.factor": testlib.default_of("1.0")})

test_full_cluster_is_flagged if {
	testlib.ids(check.deny) == {"1"} with input as snap(6)
}

test_room_for_a_host_failure_passes if {
	count(check.deny) == 0 with input as snap(4)
}
