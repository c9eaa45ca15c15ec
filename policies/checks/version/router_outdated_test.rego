package csaudit.checks.version.router_outdated_test

import data.csaudit.checks.version.router_outdated as check
import data.csaudit.testlib

db(tv, us) := {
	"vm_instance": {"3": testlib.vm(3, {"type": "DomainRouter", "instance_name": "r-3-VM"})},
	"domain_router": {"3": {"id": 3, "template_version": tv, "update_state": us, "redundant_state": "UNKNOWN"}},
}

test_router_on_4_20_template_is_outdated if {
	some f in check.deny with input as testlib.snapshot(db("Cloudstack Release 4.20.1 Mon Jun 2 2025", "UPDATE_COMPLETE"))
	f.resource.type == "router"
}

test_router_without_version_is_outdated if {
	testlib.ids(check.deny) == {"3"} with input as testlib.snapshot(db(null, null))
}

test_current_router_passes if {
	count(check.deny) == 0 with input as testlib.snapshot(db("Cloudstack Release 4.22.0 Wed Oct 29 2025", "UPDATE_COMPLETE"))
}

test_failed_update_is_flagged if {
	testlib.ids(check.deny) == {"3"} with input as testlib.snapshot(db("Cloudstack Release 4.22.0 Wed Oct 29 2025", "UPDATE_FAILED"))
}

test_version_check_off_is_respected if {
	snap := testlib.with_settings(testlib.snapshot(db("Cloudstack Release 4.20.1 x", null)), {"router.version.check": testlib.set_to("false")})
	count(check.deny) == 0 with input as snap
}
