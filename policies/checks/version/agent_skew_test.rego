package csaudit.checks.version.agent_skew_test

import data.csaudit.checks.version.agent_skew as check
import data.csaudit.testlib

db(v) := {
	"host": {"1": testlib.host(1, {"version": v}), "2": testlib.host(2, {"version": "4.22.0.0", "hypervisor_type": "XenServer"})},
	"mshost": {"1": testlib.mshost(1, {})},
}

test_old_agent_is_flagged if {
	testlib.ids(check.deny) == {"1"} with input as testlib.snapshot(db("4.20.1.0"))
}

test_matching_agent_is_quiet if {
	count(check.deny) == 0 with input as testlib.snapshot(db("4.22.0.0"))
}
