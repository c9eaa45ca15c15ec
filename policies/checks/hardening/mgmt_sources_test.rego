package csaudit.checks.hardening.mgmt_sources_test

import data.csaudit.checks.hardening.mgmt_sources as check
import data.csaudit.testlib

restricted(srcs) := {"verdict": "restricted", "accept_from": srcs}

fw(ports) := {"firewall": {"ports": ports}}

snap(facts, host_setting) := testlib.with_hosts(
	testlib.with_settings(
		testlib.snapshot({
			"mshost": {"1": testlib.mshost(1, {"service_ip": "10.0.1.1"})},
			"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})},
		}),
		{"host": host_setting},
	),
	{"uuid-host-1": facts},
)

test_foreign_cidr_for_libvirt_is_medium if {
	fs := check.deny with input as snap(fw({"16509": restricted(["10.0.0.0/16", "198.51.100.0/24"]), "22": restricted(["10.0.1.1/32"])}), testlib.default_of("localhost"))
	count(fs) == 1
	some f in fs
	f.resource.id == "1"
	f.severity == "medium"
	f.evidence.extra_sources == {"16509 IPv4": ["198.51.100.0/24"]}
}

test_ssh_from_interface_and_ipset if {
	some f in check.deny with input as snap(fw({"22": restricted(["any", "ipset admins", "10.0.1.1"])}), testlib.default_of("localhost"))
	f.evidence.extra_sources == {"22 IPv4": ["any", "ipset admins"]}
	f.severity == "medium"
}

test_unread_ipset_alone_is_low if {
	some f in check.deny with input as snap(fw({"16514": restricted(["ipset mgmt"])}), testlib.default_of("localhost"))
	f.severity == "low"
}

test_ssh_from_a_peer_host_is_extra if {
	some f in check.deny with input as snap(fw({"22": restricted(["10.0.0.2"])}), testlib.default_of("localhost"))
	f.evidence.extra_sources["22 IPv4"] == ["10.0.0.2"]
}

test_management_servers_networks_and_peers_are_quiet if {
	facts := fw({
		"22": restricted(["10.0.1.1", "10.0.9.9/32", "10.0.1.0/24"]),
		"16509": restricted(["10.0.1.1", "10.0.0.2"]),
		"16514": restricted(["10.0.0.2/32", "10.0.0.0/16"]),
	})
	count(check.deny) == 0 with input as snap(facts, testlib.set_to("10.0.9.9, 10.0.9.10"))
}

test_ipv6_source_is_compared_exactly if {
	s := snap({"firewall": {"ports6": {"22": restricted(["2001:db8::/64"])}}}, testlib.default_of("localhost"))
	some f in check.deny with input as s
	f.evidence.extra_sources == {"22 IPv6": ["2001:db8::/64"]}
}

test_open_and_closed_ports_are_left_to_other_checks if {
	count(check.deny) == 0 with input as snap(fw({"22": {"verdict": "open"}, "16509": {"verdict": "closed"}}), testlib.default_of("localhost"))
}

test_very_wide_cidr_holding_a_management_server_is_reported if {
	some f in check.deny with input as snap(fw({"22": restricted(["10.0.0.0/8"])}), testlib.default_of("localhost"))
	f.evidence.extra_sources == {"22 IPv4": ["10.0.0.0/8"]}
}
