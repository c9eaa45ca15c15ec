package csaudit.checks.storage.pool_unreachable_test

import data.csaudit.checks.storage.pool_unreachable as check
import data.csaudit.testlib

pool(id, fields) := object.union(
	{"id": id, "uuid": sprintf("uuid-pool-%v", [id]), "name": sprintf("nfs-%v", [id]), "status": "Up", "scope": "CLUSTER", "cluster_id": 1, "data_center_id": 1, "hypervisor": "KVM", "removed": null},
	fields,
)

ref(id, pool_id, host_id) := {"id": id, "pool_id": pool_id, "host_id": host_id}

db(refs) := {
	"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {}), "3": testlib.host(3, {"status": "Alert"}), "4": testlib.host(4, {"cluster_id": 2})},
	"storage_pool": {"5": pool(5, {}), "6": pool(6, {"scope": "ZONE", "cluster_id": null}), "7": pool(7, {"scope": "HOST"})},
	"storage_pool_host_ref": refs,
	"vm_instance": {"10": testlib.vm(10, {"host_id": 2})},
	"volumes": {"100": {"id": 100, "instance_id": 10, "pool_id": 5, "removed": null}},
}

all_refs := {
	"1": ref(1, 5, 1), "2": ref(2, 5, 2),
	"3": ref(3, 6, 1), "4": ref(4, 6, 2), "5": ref(5, 6, 4),
}

findings(refs) := x if {
	x := {[f.resource.id, f.discriminator]: f.severity | some f in check.deny} with input as testlib.snapshot(db(refs))
}

test_fully_connected_is_quiet if {
	findings(all_refs) == {}
}

test_cluster_pool_missing_on_host_with_its_vms_is_high if {
	findings(object.remove(all_refs, ["2"])) == {["2", "5"]: "high"}
}

test_zone_pool_missing_on_empty_host_is_medium if {
	findings(object.remove(all_refs, ["5"])) == {["4", "6"]: "medium"}
}

# Host 3 is in Alert and its pools are not judged; neither are host-local pools.
test_down_hosts_and_local_pools_are_not_judged if {
	not findings(all_refs)[["3", "5"]]
	count({k | some k, _ in findings(all_refs); k[1] == "7"}) == 0
}

test_zone_pool_of_another_hypervisor_is_not_expected if {
	refs := object.remove(all_refs, ["5"])
	s := testlib.snapshot(object.union(db(refs), {"host": {"4": {"hypervisor_type": "VMware"}}}))
	count(check.deny) == 0 with input as s
}
