package csaudit.checks.advisory.data_age_test

import data.csaudit.checks.advisory.data_age as check
import data.csaudit.checks.advisory.testdata as td

# testlib's db_now is 2026-11-22: 93 days after the data's date.
test_recent_data_is_quiet if {
	count(check.deny) == 0 with input as td.cloud("4.19.0.1", null, {}) with data.csaudit.advisories as td.advisories
}

test_old_data_gets_a_note if {
	old := object.union(td.advisories, {"date": "2026-05-25"})
	fs := check.deny with input as td.cloud("4.19.0.1", null, {}) with data.csaudit.advisories as old
	some f in fs
	f.evidence.age_days == 181
}

test_180_days_is_not_yet_old if {
	d := object.union(td.advisories, {"date": "2026-05-26"})
	count(check.deny) == 0 with input as td.cloud("4.19.0.1", null, {}) with data.csaudit.advisories as d
}
