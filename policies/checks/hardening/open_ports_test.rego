package csaudit.checks.hardening.open_ports_test

import data.csaudit.checks.hardening.open_ports as check
import data.csaudit.testlib

snap(v22, v16509) := snap6(v22, v16509, {}, "0.0.0.0")

snap6(v22, v16509, ports6, listen) := testlib.with_hosts(
	testlib.snapshot({"host": {"1": testlib.host(1, {})}}),
	{"uuid-host-1": {
		"firewall": {"ports": {"22": {"verdict": v22}, "16509": {"verdict": v16509}}, "ports6": ports6},
		"listeners": {"listeners": [{"address": listen, "port": 16509}]},
	}},
)

test_open_libvirt_is_high if {
	some f in check.deny with input as snap("restricted", "open")
	f.severity == "high"
	f.evidence.families == ["ipv4"]
}

test_open_ssh_is_low if {
	some f in check.deny with input as snap("open", "closed")
	f.severity == "low"
}

test_restricted_ports_pass if {
	count(check.deny) == 0 with input as snap("restricted", "closed")
}

# Closed on IPv4, open on IPv6 with libvirtd on [::]: found, high.
test_open_on_ipv6_only_is_found if {
	fs := check.deny with input as snap6("closed", "closed", {"22": {"verdict": "closed"}, "16509": {"verdict": "open"}}, "::")
	count(fs) == 1
	some f in fs
	f.severity == "high"
	f.discriminator == "16509"
	f.evidence.families == ["ipv6"]
	contains(f.message, "(IPv6)")
}

# Open on IPv6 while libvirtd listens on an IPv4 address only: low.
test_open_on_ipv6_without_v6_listener_is_low if {
	some f in check.deny with input as snap6("closed", "closed", {"16509": {"verdict": "open"}}, "10.0.0.5")
	f.severity == "low"
}

test_ipv6_restricted_passes if {
	count(check.deny) == 0 with input as snap6("closed", "closed", {"22": {"verdict": "restricted"}, "16509": {"verdict": "closed"}}, "::")
}

# A loopback-only listener is not an exposed API.
test_loopback_listener_is_low if {
	some f in check.deny with input as snap6("closed", "open", {}, "127.0.0.1")
	f.severity == "low"
}

# libvirtd on 0.0.0.0 is not reachable over IPv6, however open ip6tables is.
test_ipv4_wildcard_is_not_exposed_over_ipv6 if {
	some f in check.deny with input as snap6("closed", "closed", {"16509": {"verdict": "open"}}, "0.0.0.0")
	f.severity == "low"
}
