package csaudit.checks.ha.ha_tag_unused_test

import data.csaudit.checks.ha.ha_tag_unused as check
import data.csaudit.testlib

snap(tag) := testlib.with_settings(
	testlib.snapshot({
		"host": {"1": testlib.host(1, {})},
		"host_tags": {"1": {"id": 1, "host_id": 1, "tag": tag}},
		"vm_instance": {"7": testlib.vm(7, {"ha_enabled": true})},
	}),
	{"ha.tag": testlib.set_to("ha-host")},
)

test_tag_on_no_host_is_high if {
	some f in check.deny with input as snap("ssd")
	f.severity == "high"
}

test_tagged_host_passes if {
	count(check.deny) == 0 with input as snap("ha-host")
}

test_unset_tag_is_quiet if {
	s := testlib.with_settings(testlib.snapshot({}), {"ha.tag": {"value": null, "default": null}})
	count(check.deny) == 0 with input as s
}
