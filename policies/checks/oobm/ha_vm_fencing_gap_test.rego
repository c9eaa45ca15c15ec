package csaudit.checks.oobm.ha_vm_fencing_gap_test

import data.csaudit.checks.oobm.ha_vm_fencing_gap as check
import data.csaudit.checks.oobm.testdata
import data.csaudit.testlib

snap(ha, extra) := testdata.with_db(testdata.snapshot({}), object.union(
	{
		"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {}), "3": testlib.host(3, {})},
		"vm_instance": {"10": testlib.vm(10, {"host_id": 1, "ha_enabled": ha})},
	},
	extra,
))

test_host_without_oobm_in_cluster_with_ha_vms_is_medium if {
	s := snap(true, {})
	some f in check.deny with input as s
	f.resource.id == "3"
	f.evidence.oobm_row == false
	count(check.deny) == 1 with input as s
}

test_disabled_oobm_row_is_a_gap_too if {
	s := snap(true, {"oobm": {"11": testdata.oobm_row(11, 1, {}), "12": testdata.oobm_row(12, 2, {"enabled": 0}), "13": testdata.oobm_row(13, 3, {})}})
	some f in check.deny with input as s
	f.resource.id == "2"
}

test_no_ha_vms_is_quiet if {
	count(check.deny) == 0 with input as snap(false, {})
}

test_host_ha_hosts_are_left_to_the_high_check if {
	s := snap(true, {"ha_config": {"1": {"id": 1, "resource_id": 3, "resource_type": "Host", "enabled": 1}}})
	count(check.deny) == 0 with input as s
}
