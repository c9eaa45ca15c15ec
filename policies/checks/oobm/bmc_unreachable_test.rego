package csaudit.checks.oobm.bmc_unreachable_test

import data.csaudit.checks.oobm.bmc_unreachable as check
import data.csaudit.checks.oobm.testdata

test_unreachable_bmc_is_medium if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"reachable": false, "reach_detail": "no answer within 3s"})})
	some f in check.deny with input as snap
	f.severity == "medium"
	f.resource.uuid == "uuid-host-1"
	f.resource.id == "1"
	count(check.deny) == 1 with input as snap
}

test_unreachable_host_ha_bmc_is_high if {
	snap := testdata.with_db(
		testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"reachable": false})}),
		{"ha_config": {"1": {"id": 1, "resource_id": 1, "resource_type": "Host", "enabled": 1, "ha_state": "Available"}}},
	)
	some f in check.deny with input as snap
	f.severity == "high"
	f.evidence.host_ha == true
}

test_ping_only_bmc_is_reported if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {
		"reachable": true, "presence_pong": true, "ipmi_answering": false, "auth": "not_tried",
		"reach_detail": "answers the RMCP presence ping but not IPMI",
	})})
	some f in check.deny with input as snap
	f.severity == "medium"
	contains(f.message, "answers the network but not IPMI")
	f.evidence.ipmi_answering == false
	count(check.deny) == 1 with input as snap
}

test_reachable_or_not_probed_bmc_is_quiet if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {
		"uuid-host-1": testdata.bmc(1, {"ipmi_answering": true}),
		"uuid-host-2": {"host_id": "2", "address": "", "driver": "redfish", "not_probed": "driver redfish is not probed"},
	})
	count(check.deny) == 0 with input as snap
}

test_inventory_host_without_db_row_is_filed_by_uuid if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-x": testdata.bmc(99, {"reachable": false, "host_name": "x"})})
	some f in check.deny with input as snap
	f.resource == {"type": "host", "id": "99", "uuid": "uuid-x", "name": "x"}
}
