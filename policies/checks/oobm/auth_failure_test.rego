package csaudit.checks.oobm.auth_failure_test

import data.csaudit.checks.oobm.auth_failure as check
import data.csaudit.checks.oobm.testdata

test_rejected_credentials_is_a_finding if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"auth": "failed", "auth_detail": "password rejected"})})
	some f in check.deny with input as snap
	f.severity == "medium"
	f.evidence.auth == "failed"
}

test_rejected_on_host_ha_cluster_is_high if {
	snap := testdata.with_db(
		testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-2": testdata.bmc(2, {"auth": "failed"})}),
		{"cluster_details": {"5": {"id": 5, "cluster_id": 1, "name": "resourceHAEnabled", "value": "true"}}},
	)
	some f in check.deny with input as snap
	f.severity == "high"
}

test_session_error_is_low if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {"uuid-host-1": testdata.bmc(1, {"auth": "error", "auth_detail": "cipher suite 3 not accepted"})})
	some f in check.deny with input as snap
	f.severity == "low"
}

test_ok_and_not_tried_are_quiet if {
	snap := testdata.with_bmcs(testdata.snapshot({}), {
		"uuid-host-1": testdata.bmc(1, {"auth": "ok", "power": "on"}),
		"uuid-host-2": testdata.bmc(2, {"auth": "not_tried", "reachable": false}),
	})
	count(check.deny) == 0 with input as snap
}
