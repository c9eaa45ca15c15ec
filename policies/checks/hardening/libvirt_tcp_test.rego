package csaudit.checks.hardening.libvirt_tcp_test

import data.csaudit.checks.hardening.libvirt_tcp as check
import data.csaudit.testlib

snap(auth, verdict) := testlib.with_hosts(
	testlib.snapshot({"host": {"1": testlib.host(1, {})}}),
	{"uuid-host-1": {
		"libvirtd": {"values": {"listen_tcp": "1", "auth_tcp": auth}},
		"listeners": {"listeners": [{"address": "0.0.0.0", "port": 16509}], "units": {}},
		"firewall": {"ports": {"16509": {"verdict": verdict}}},
	}},
)

test_no_auth_reachable_is_critical if {
	some f in check.deny with input as snap("\"none\"", "open")
	f.severity == "critical"
}

test_no_auth_behind_firewall_is_medium if {
	some f in check.deny with input as snap("none", "restricted")
	f.severity == "medium"
}

test_sasl_passes if {
	count(check.deny) == 0 with input as snap("sasl", "open")
}
