package csaudit.checks.ha.capacity_n1_test

import data.csaudit.checks.ha.capacity_n1 as check
import data.csaudit.testlib

gib := 1073741824

# Two 16 GiB hosts; without the largest, 16 GiB x 0.85 = 13926 MB can be allocated.
db(n_vms) := {
	"cluster": {"1": testlib.cluster(1, {})},
	"host": {
		"1": testlib.host(1, {"ram": 16 * gib, "cpus": 8, "speed": 2000}),
		"2": testlib.host(2, {"ram": 16 * gib, "cpus": 8, "speed": 2000}),
	},
	"service_offering": {"1": {"id": 1, "cpu": 1, "speed": 1000, "ram_size": 4096}, "5": {"id": 5, "cpu": null, "speed": null, "ram_size": null, "customized": true}},
	"vm_instance": {sprintf("%d", [i]): testlib.vm(i, {"ha_enabled": true, "host_id": 1 + (i % 2)}) | some i in numbers.range(1, n_vms)},
	"vm_instance_details": {},
	"op_host_capacity": {},
}

snap(n) := testlib.with_settings(testlib.snapshot(db(n)), {"mem.overprovisioning.factor": testlib.default_of("1.0")})

findings(s) := x if {
	x := {f.discriminator | some f in check.deny} with input as s
}

test_full_cluster_is_flagged if {
	testlib.ids(check.deny) == {"1"} with input as snap(6)
}

test_room_for_a_host_failure_passes if {
	count(check.deny) == 0 with input as snap(3)
}

# 16384 MB fits in the 16 GiB host left, but not below the 0.85 disable
# threshold past which the allocator refuses the cluster.
test_disable_threshold_counts if {
	findings(snap(4)) == {"memory"}
	s := testlib.with_settings(snap(4), {"cluster.memory.allocated.capacity.disablethreshold": testlib.default_of("1.0")})
	count(check.deny) == 0 with input as s
}

# Three custom-offering VMs of 8 CPUs x 2000 MHz and 2 GiB: memory fits, CPU
# (48000 MHz against 16000 x 0.85) does not. Their size is only in the details.
test_custom_offering_size_from_details if {
	base := snap(3)
	vms := {sprintf("%d", [i]): testlib.vm(i, {"ha_enabled": true, "service_offering_id": 5}) | some i in numbers.range(1, 3)}
	details := {sprintf("%d", [(i * 10) + k]): {"id": (i * 10) + k, "vm_id": i, "name": n, "value": v} |
		some i in numbers.range(1, 3)
		some k, [n, v] in [["CpuNumber", "8"], ["CpuSpeed", "2000"], ["memory", "2048"]]
	}
	s := object.union(base, {"db": object.union(base.db, {"vm_instance": vms, "vm_instance_details": details})})
	findings(s) == {"cpu"}
	some f in check.deny with input as s
	f.evidence.running_vms == 48000
}

# op_host_capacity is what the allocator uses: its totals win over the host row.
test_capacity_rows_override_host_ram if {
	caps := {"1": {"id": 1, "host_id": 1, "capacity_type": 0, "total_capacity": 64 * gib, "used_capacity": 0, "reserved_capacity": 0}, "2": {"id": 2, "host_id": 2, "capacity_type": 0, "total_capacity": 64 * gib, "used_capacity": 0, "reserved_capacity": 0}}
	base := snap(6)
	s := object.union(base, {"db": object.union(base.db, {"op_host_capacity": caps})})
	count(check.deny) == 0 with input as s
}

test_vms_in_zone_with_vm_ha_off_are_left_to_ha_007 if {
	base := snap(6)
	s := testlib.with_settings(
		object.union(base, {"db": object.union(base.db, {"data_center": {"1": testlib.zone(1, {})}})}),
		{"vm.ha.enabled": {"value": "false", "default": "true"}},
	)
	count(check.deny) == 0 with input as s
}
