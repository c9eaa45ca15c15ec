package csaudit.checks.oobm.host_ha_without_oobm_test

import data.csaudit.checks.oobm.host_ha_without_oobm as check
import data.csaudit.checks.oobm.testdata
import data.csaudit.testlib

ha_cluster := {"cluster_details": {"5": {"id": 5, "cluster_id": 1, "name": "resourceHAEnabled", "value": "true"}}}

test_host_of_ha_cluster_without_oobm_row_is_high if {
	snap := testdata.with_db(testdata.snapshot({}), object.union(ha_cluster, {
		"host": {"1": testlib.host(1, {}), "3": testlib.host(3, {})},
	}))
	some f in check.deny with input as snap
	f.resource.id == "3"
	f.evidence.reason == "no oobm row"
	count(check.deny) == 1 with input as snap
}

test_ha_config_host_with_disabled_oobm if {
	snap := testdata.with_db(testdata.snapshot({}), {
		"ha_config": {"1": {"id": 1, "resource_id": 2, "resource_type": "Host", "enabled": 1}},
		"oobm": {"11": testdata.oobm_row(11, 1, {}), "12": testdata.oobm_row(12, 2, {"enabled": 0})},
	})
	some f in check.deny with input as snap
	f.resource.id == "2"
	f.evidence.reason == "out-of-band management is disabled"
}

test_bmc_evidence_breaks_working_oobm if {
	snap := testdata.with_bmcs(testdata.with_db(testdata.snapshot({}), ha_cluster), {"uuid-host-1": testdata.bmc(1, {"auth": "failed"})})
	some f in check.deny with input as snap
	f.resource.id == "1"
	f.evidence.reason == "the BMC rejected the credentials"
}

test_ping_only_bmc_breaks_working_oobm if {
	snap := testdata.with_bmcs(testdata.with_db(testdata.snapshot({}), ha_cluster), {"uuid-host-2": testdata.bmc(2, {"ipmi_answering": false})})
	some f in check.deny with input as snap
	f.resource.id == "2"
	contains(f.evidence.reason, "not IPMI")
}

test_working_oobm_or_no_host_ha_is_quiet if {
	count(check.deny) == 0 with input as testdata.with_db(testdata.snapshot({}), ha_cluster)
	count(check.deny) == 0 with input as testdata.with_db(testdata.snapshot({}), {"host": {"3": testlib.host(3, {})}})
}

test_cluster_ha_false_is_not_host_ha if {
	snap := testdata.with_db(testdata.snapshot({}), {
		"cluster_details": {"5": {"id": 5, "cluster_id": 1, "name": "resourceHAEnabled", "value": "false"}},
		"host": {"3": testlib.host(3, {})},
	})
	count(check.deny) == 0 with input as snap
}
