package csaudit.checks.advisory.behind_line_test

import data.csaudit.checks.advisory.behind_line as check
import data.csaudit.checks.advisory.testdata as td

test_newer_patch_on_the_line if {
	fs := check.deny with input as td.cloud("4.19.0.1", null, {}) with data.csaudit.advisories as td.advisories
	count(fs) == 1
	some f in fs
	f.resource == {"type": "cloud", "name": "cloud"}
	f.evidence.newest_on_line == "4.19.1.2"
	f.evidence.fixes == ["1234 (fix PR 1235)", "CVE-QUOTA", "CVE-SAML"]
}

test_newest_of_the_line_is_quiet if {
	count(check.deny) == 0 with input as td.cloud("4.19.1.2", null, {}) with data.csaudit.advisories as td.advisories
}

test_mixed_versions_on_each_server if {
	snap := json.patch(td.cloud("4.19.1.2", null, {}), [{"op": "replace", "path": "/db/mshost/2/version", "value": "4.19.0.1"}])
	fs := check.deny with input as snap with data.csaudit.advisories as td.advisories
	{f.resource.id | some f in fs} == {"2"}
}
