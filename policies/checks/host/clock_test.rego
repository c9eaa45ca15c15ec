package csaudit.checks.host.clock_test

import data.csaudit.checks.host.clock as check
import data.csaudit.testlib

snap(sync, off) := snapr(sync, off, "database", 0, 0)

snapr(sync, off, ref, rtt, dbunc) := object.union(
	testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), {"uuid-host-1": {
		"clock": {"synchronized": sync, "offset_ms": off, "reference": ref},
		"ssh": {"rtt_ms": rtt},
	}}),
	{"meta": {"database": {"clock_offset_ms": 0, "clock_uncertainty_ms": dbunc}}},
)

test_unsynchronized_is_low if {
	some f in check.deny with input as snap(false, 20)
	f.severity == "low"
}

test_two_minutes_off_is_medium if {
	some f in check.deny with input as snap(true, -120000)
	f.severity == "medium"
	f.evidence.reference == "database"
}

test_synchronized_small_offset_passes if {
	count(check.deny) == 0 with input as snap(true, 3.5)
}

# 1.2 s off measured over a 600 ms round trip (±300 ms) and a database read
# ±5 ms: within the 1 s limit once the uncertainty is allowed for.
test_skew_within_uncertainty_passes if {
	count(check.deny) == 0 with input as snapr(true, 1200, "database", 600, 5)
}

test_skew_beyond_uncertainty_is_found if {
	some f in check.deny with input as snapr(true, 1400, "database", 200, 5)
	f.evidence.uncertainty_ms == 105
}

# Against the auditor's clock only (database clock unknown): no skew verdict;
# the coverage failure makes the check's status error for the host.
test_auditor_reference_is_not_judged if {
	count(check.deny) == 0 with input as snapr(true, 90000, "auditor", 0, 0)
}
