# METADATA
# title: Advisory data older than 180 days
# description: >-
#   The newest advisory in the data the advisory checks used was published more than
#   180 days before the database clock (db_now), so advisories published since are
#   not judged. The report names the data (embedded, or the --advisories file) and
#   its date. Info: a note on the audit's own coverage, not on the cloud.
# custom:
#   id: CSA-ADV-004
#   severity: info
#   category: advisories
#   remediation:
#     summary: Use a newer csaudit release, or pass a current advisories file of the same format with --advisories FILE (or the config's advisories:).
#   references:
#     - docs/advisories.md
#   controls: [vulnerability-management]
#   requires: [db.mshost]
package csaudit.checks.advisory.data_age

import data.csaudit.checks.advisory.match
import data.csaudit.lib

max_age_days := 180

# Whole days.
age_days := floor((lib.db_now_ns - time.parse_ns("2006-01-02", match.advisory_data.date)) / (86400 * 1000000000))

deny contains f if {
	age_days > max_age_days
	f := {
		"resource": {"type": "advisory_data", "name": match.advisory_data.source},
		"message": sprintf("the advisory data (%s) is %d days old at db_now, more than %d: advisories published since are not judged", [match.data_label, age_days, max_age_days]),
		"evidence": {"source": match.advisory_data.source, "date": match.advisory_data.date, "sha256": match.advisory_data.sha256, "age_days": age_days},
	}
}
