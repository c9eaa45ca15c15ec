package csaudit.checks.hardening.agent_files_test

import data.csaudit.checks.hardening.agent_files as check
import data.csaudit.testlib

snap(perm) := testlib.with_hosts(
	testlib.snapshot({"host": {"1": testlib.host(1, {})}}),
	{"uuid-host-1": {"files": {"files": {
		"/etc/cloudstack/agent/agent.properties": {"exists": true, "mode": "x", "perm": perm, "owner": "root", "group": "root"},
		"/etc/cloudstack/agent/cloud.jks": {"exists": true, "mode": "0600", "perm": 384, "owner": "root", "group": "root"},
	}}}},
)

test_world_readable_agent_properties_is_flagged if {
	some f in check.deny with input as snap(420)
	f.discriminator == "/etc/cloudstack/agent/agent.properties"
}

test_0640_passes if {
	count(check.deny) == 0 with input as snap(416)
}
