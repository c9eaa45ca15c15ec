package csaudit.checks.ha.kvm_fence_storage_test

import data.csaudit.checks.ha.kvm_fence_storage as check
import data.csaudit.testlib

snap(setting) := testlib.with_settings(
	testlib.snapshot({
		"data_center": {"1": testlib.zone(1, {})},
		"host": {"1": testlib.host(1, {})},
		"vm_instance": {"7": testlib.vm(7, {"ha_enabled": true})},
	}),
	{"kvm.ha.fence.on.storage.heartbeat.failure": setting},
)

test_default_false_is_filed_against_the_setting if {
	some f in check.deny with input as snap(testlib.default_of("false"))
	f.resource.type == "setting"
}

test_zone_override_false_is_filed_against_the_zone if {
	some f in check.deny with input as snap({"value": "true", "default": "false", "overrides": {"zone": {"1": "false"}}})
	f.resource.type == "zone"
}

test_true_passes if {
	count(check.deny) == 0 with input as snap(testlib.set_to("true"))
}
