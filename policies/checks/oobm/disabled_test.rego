package csaudit.checks.oobm.disabled_test

import data.csaudit.checks.oobm.disabled as check
import data.csaudit.checks.oobm.testdata
import data.csaudit.testlib

disabled_2 := {"oobm": {"11": testdata.oobm_row(11, 1, {}), "12": testdata.oobm_row(12, 2, {"enabled": 0, "power_state": "Disabled"})}}

test_disabled_row_is_low if {
	s := testdata.with_db(testdata.snapshot({}), disabled_2)
	some f in check.deny with input as s
	f.resource.id == "2"
	f.evidence.power_state == "Disabled"
	count(check.deny) == 1 with input as s
}

test_enabled_or_missing_rows_are_quiet if {
	count(check.deny) == 0 with input as testdata.snapshot({})
	count(check.deny) == 0 with input as testdata.with_db(testdata.snapshot({}), {"host": {"3": testlib.host(3, {})}})
}

# A Host-HA host is CSA-OOBM-008's (high), a host of a cluster with HA VMs
# CSA-OOBM-009's (medium): not reported twice.
test_host_ha_host_is_left_to_oobm_008 if {
	s := testdata.with_db(testdata.snapshot({}), object.union(disabled_2, {"ha_config": {"1": {"id": 1, "resource_id": 2, "resource_type": "Host", "enabled": 1}}}))
	count(check.deny) == 0 with input as s
}

test_cluster_with_ha_vms_is_left_to_oobm_009 if {
	s := testdata.with_db(testdata.snapshot({}), object.union(disabled_2, {"vm_instance": {"10": testlib.vm(10, {"host_id": 1, "ha_enabled": true})}}))
	count(check.deny) == 0 with input as s
}

test_removed_host_is_quiet if {
	s := testdata.with_db(testdata.snapshot({}), object.union(disabled_2, {"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {"removed": "2026-01-01T00:00:00Z"})}}))
	count(check.deny) == 0 with input as s
}
