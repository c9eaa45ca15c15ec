package csaudit.checks.settings.sysvm_local_storage_test

import data.csaudit.checks.settings.sysvm_local_storage as check
import data.csaudit.testlib

pool(id, scope) := {"id": id, "uuid": sprintf("p%d", [id]), "name": sprintf("pool-%d", [id]), "data_center_id": 1, "scope": scope, "status": "Up", "removed": null}

snap(local_enabled, pools, setting) := testlib.with_settings(
	testlib.snapshot({"data_center": {"1": testlib.zone(1, {"is_local_storage_enabled": local_enabled})}, "storage_pool": pools}),
	{"system.vm.use.local.storage": setting},
)

test_true_without_local_storage_enabled if {
	some f in check.deny with input as snap(false, {"1": pool(1, "CLUSTER")}, testlib.set_to("true"))
	f.resource.type == "zone"
	contains(f.message, "local storage is not enabled")
	f.evidence.set_at == "global"
}

test_true_without_host_pools if {
	some f in check.deny with input as snap(true, {"1": pool(1, "CLUSTER")}, testlib.set_to("true"))
	contains(f.message, "no host-local primary storage pool")
}

test_zone_override_true_is_found if {
	some f in check.deny with input as snap(false, {"1": pool(1, "ZONE")}, {"value": null, "default": "false", "overrides": {"zone": {"1": "true"}}})
	f.evidence.set_at == "zone"
}

test_false_with_only_local_storage if {
	some f in check.deny with input as snap(true, {"1": pool(1, "HOST"), "2": pool(2, "HOST")}, testlib.default_of("false"))
	contains(f.message, "only primary storage is host-local")
	f.evidence.host_pools == 2
}

test_matching_settings_are_quiet if {
	count(check.deny) == 0 with input as snap(true, {"1": pool(1, "HOST")}, testlib.set_to("true"))
	count(check.deny) == 0 with input as snap(true, {"1": pool(1, "HOST"), "2": pool(2, "CLUSTER")}, testlib.default_of("false"))
	count(check.deny) == 0 with input as snap(false, {"2": pool(2, "CLUSTER")}, testlib.default_of("false"))
}
