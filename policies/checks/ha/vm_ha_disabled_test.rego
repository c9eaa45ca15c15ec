package csaudit.checks.ha.vm_ha_disabled_test

import data.csaudit.checks.ha.vm_ha_disabled as check
import data.csaudit.testlib

db(ha) := {
	"data_center": {"1": testlib.zone(1, {}), "2": testlib.zone(2, {})},
	"vm_instance": {
		"10": testlib.vm(10, {"ha_enabled": ha}),
		"20": testlib.vm(20, {"ha_enabled": ha, "data_center_id": 2}),
	},
}

ha_setting(global, zone_overrides) := {"vm.ha.enabled": {"value": global, "default": "true", "overrides": {"zone": zone_overrides}}}

snap(ha, global, zones) := testlib.with_settings(testlib.snapshot(db(ha)), ha_setting(global, zones))

test_zone_override_off_with_ha_vms_is_high if {
	s := snap(true, null, {"2": "false"})
	some f in check.deny with input as s
	f.resource == {"type": "zone", "id": "2", "uuid": "uuid-zone-2", "name": "zone-2"}
	f.evidence.ha_vms == 1
	count(check.deny) == 1 with input as s
}

test_global_off_is_filed_against_the_setting if {
	s := snap(true, "false", {"2": "true"})
	some f in check.deny with input as s
	f.resource == {"type": "setting", "name": "vm.ha.enabled"}
	f.evidence.zones == ["1"]
	count(check.deny) == 1 with input as s
}

test_ha_on_is_quiet if {
	count(check.deny) == 0 with input as snap(true, null, {})
	count(check.deny) == 0 with input as snap(true, "true", {})
}

test_off_without_ha_vms_is_quiet if {
	count(check.deny) == 0 with input as snap(false, "false", {"2": "false"})
}
