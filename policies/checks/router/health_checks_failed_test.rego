package csaudit.checks.router.health_checks_failed_test

import data.csaudit.checks.router.health_checks_failed as check
import data.csaudit.testlib

db(result) := {
	"vm_instance": {"3": testlib.vm(3, {"type": "DomainRouter", "instance_name": "r-3-VM"})},
	"router_health_check": {
		"1": {"id": 1, "router_id": 3, "check_type": "basic", "check_name": "dns_check.py", "check_result": result},
		"2": {"id": 2, "router_id": 3, "check_type": "basic", "check_name": "disk_space_check.py", "check_result": "SUCCESS"},
	},
}

test_failed_dns_check_is_flagged if {
	some f in check.deny with input as testlib.snapshot(db("FAILURE"))
	f.evidence.failed_checks == ["basic/dns_check.py"]
}

test_all_success_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db("SUCCESS"))
}
