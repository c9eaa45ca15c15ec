package csaudit.checks.advisory.known_bug_test

import data.csaudit.checks.advisory.known_bug as check
import data.csaudit.checks.advisory.testdata as td

xen_cloud := json.patch(td.cloud("4.19.0.1", "4.19.0.1", {}), [{"op": "replace", "path": "/db/host/1/hypervisor_type", "value": "XenServer"}])

test_bug_with_its_hypervisor_is_high if {
	fs := td.by_id(check.deny) with input as xen_cloud with data.csaudit.advisories as td.advisories
	object.keys(fs) == {"1234 (fix PR 1235)"}
	fs["1234 (fix PR 1235)"].severity == "high"
	contains(fs["1234 (fix PR 1235)"].message, "known bug apache/cloudstack#1234 (fix PR 1235)")
}

test_bug_without_its_hypervisor_is_info if {
	fs := td.by_id(check.deny) with input as td.cloud("4.19.0.1", "4.19.0.1", {}) with data.csaudit.advisories as td.advisories
	fs["1234 (fix PR 1235)"].severity == "info"
}

test_bug_not_on_other_versions if {
	count(check.deny) == 0 with input as td.cloud("4.19.0.2", null, {}) with data.csaudit.advisories as td.advisories
}
