package csaudit.checks.hardening.open_ports_test

import data.csaudit.checks.hardening.open_ports as check
import data.csaudit.testlib

snap(v22, v16509) := testlib.with_hosts(
	testlib.snapshot({"host": {"1": testlib.host(1, {})}}),
	{"uuid-host-1": {
		"firewall": {"ports": {"22": {"verdict": v22}, "16509": {"verdict": v16509}}},
		"listeners": {"listeners": [{"address": "0.0.0.0", "port": 16509}]},
	}},
)

test_open_libvirt_is_high if {
	some f in check.deny with input as snap("restricted", "open")
	f.severity == "high"
}

test_open_ssh_is_low if {
	some f in check.deny with input as snap("open", "closed")
	f.severity == "low"
}

test_restricted_ports_pass if {
	count(check.deny) == 0 with input as snap("restricted", "closed")
}
