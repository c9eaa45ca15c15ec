package csaudit.checks.hardening.libvirt_tcp_test

import data.csaudit.checks.hardening.libvirt_tcp as check
import data.csaudit.testlib

snap(auth, verdict) := snap6(auth, verdict, {}, "0.0.0.0")

snap6(auth, verdict, ports6, listen) := testlib.with_hosts(
	testlib.snapshot({"host": {"1": testlib.host(1, {})}}),
	{"uuid-host-1": {
		"libvirtd": {"values": {"listen_tcp": "1", "auth_tcp": auth}},
		"listeners": {"listeners": [{"address": listen, "port": 16509}], "units": {}},
		"firewall": {"ports": {"16509": {"verdict": verdict}}, "ports6": ports6},
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

# Closed on IPv4 but open on IPv6, libvirtd on [::]:16509: critical.
test_no_auth_open_on_ipv6_is_critical if {
	some f in check.deny with input as snap6("none", "closed", {"16509": {"verdict": "open"}}, "::")
	f.severity == "critical"
	f.evidence.firewall6_16509 == "open"
}

# Open on IPv6 but libvirtd listens on an IPv4 address only: not reachable.
test_ipv6_open_without_v6_listener_is_medium if {
	some f in check.deny with input as snap6("none", "closed", {"16509": {"verdict": "open"}}, "192.0.2.5")
	f.severity == "medium"
}

# Indeterminate is never read as reachable or as safe: the finding stays
# (medium) and the coverage failure makes the status say so.
test_indeterminate_is_medium_not_critical if {
	some f in check.deny with input as snap6("none", "indeterminate", {"16509": {"verdict": "indeterminate"}}, "0.0.0.0")
	f.severity == "medium"
	f.evidence.firewall_16509 == "indeterminate"
}

# Without any firewall fact the configuration alone is still a finding.
test_no_firewall_fact_still_found if {
	inp := testlib.with_hosts(
		testlib.snapshot({"host": {"1": testlib.host(1, {})}}),
		{"uuid-host-1": {
			"libvirtd": {"values": {"listen_tcp": "1", "auth_tcp": "none"}},
			"listeners": {"listeners": [], "units": {}},
		}},
	)
	some f in check.deny with input as inp
	f.severity == "medium"
	f.evidence.firewall_16509 == "unknown"
}

# Certificates for every host of the cluster, then 16514 checked, then TCP closed.
test_certificates_for_the_whole_cluster_before_closing_tcp if {
	s := testlib.with_hosts(
		testlib.snapshot({"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {}), "3": testlib.host(3, {"cluster_id": 9})}}),
		{"uuid-host-1": {
			"libvirtd": {"values": {"listen_tcp": "1", "auth_tcp": "none"}},
			"listeners": {"listeners": [], "units": {}}, "firewall": {"ports": {}, "ports6": {}},
		}},
	)
	some f in check.deny with input as s
	t := [c.text | some c in f.remediation.commands]
	t[1] == "cmk provision certificate hostid={host0}"
	t[2] == "cmk provision certificate hostid={host1}"
	contains(t[3], "16514")
	contains(t[4], "listen_tcp = 0")
	count(t) == 5
	f.args == {"host0": "uuid-host-1", "host1": "uuid-host-2"}
}
