package csaudit.checks.host.mtu_test

import data.csaudit.checks.host.mtu as check
import data.csaudit.testlib

props := {"values": {"private.network.device": "cloudbr0", "guest.network.device": "cloudbr1"}}

links(mtu) := {"agent_properties": props, "interfaces": {"links": [
	{"name": "cloudbr0", "mtu": mtu, "kind": "bridge"},
	{"name": "cloudbr1", "mtu": 9000, "kind": "bridge"},
]}}

snap(h1, h2) := testlib.with_hosts(
	testlib.snapshot({"cluster": {"1": testlib.cluster(1, {})}, "host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})}}),
	{"uuid-host-1": h1, "uuid-host-2": h2},
)

test_bridge_mtu_mismatch_is_flagged if {
	some f in check.deny with input as snap(links(9000), links(1500))
	f.resource.type == "cluster"
	f.discriminator == "cloudbr0"
}

test_equal_mtus_pass if {
	count(check.deny) == 0 with input as snap(links(9000), links(9000))
}

vx(under_mtu, addrs) := {"interfaces": {"links": [
	{"name": "bond0", "mtu": under_mtu, "kind": "bond", "addrs": addrs},
	{"name": "vxlan100", "mtu": 1500, "kind": "vxlan", "underlay": "bond0"},
]}}

test_vxlan_underlay_1500_is_flagged if {
	some f in check.deny with input as snap(vx(1500, ["10.0.0.1/24"]), {})
	f.resource.type == "host"
}

test_vxlan_underlay_1550_passes_on_ipv4 if {
	count(check.deny) == 0 with input as snap(vx(1550, ["10.0.0.1/24"]), {})
}

test_ipv6_underlay_needs_70 if {
	some f in check.deny with input as snap(vx(1550, ["fd00::1/64"]), {})
	f.evidence.overhead == 70
}
