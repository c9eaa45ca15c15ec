package csaudit.checks.settings.kvm_mem_overprovisioning_test

import data.csaudit.checks.settings.kvm_mem_overprovisioning as check
import data.csaudit.testlib

snap(ratio, vm_mb) := testlib.with_settings(
	testlib.snapshot({
		"cluster": {"1": testlib.cluster(1, {})},
		"host": {"1": testlib.host(1, {"ram": 8589934592})},
		"service_offering": {"1": {"id": 1, "ram_size": vm_mb}},
		"vm_instance": {"7": testlib.vm(7, {})},
	}),
	{"mem.overprovisioning.factor": {"value": null, "default": "1.0", "overrides": {"cluster": {"1": ratio}}}},
)

test_ratio_one_passes if {
	count(check.deny) == 0 with input as snap("1.0", 4096)
}

test_overcommit_that_still_fits_is_low if {
	some f in check.deny with input as snap("2.0", 4096)
	f.severity == "low"
}

test_overcommit_beyond_physical_is_medium if {
	some f in check.deny with input as snap("2.0", 12288)
	f.severity == "medium"
}
