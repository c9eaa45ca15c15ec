# METADATA
# title: MTU mismatch on cloud bridges or VXLAN underlay too small
# description: >-
#   Either the hosts of a KVM cluster disagree on the MTU of a traffic bridge (the
#   agent's private/public/guest network devices, e.g. cloudbr0): VMs migrated or
#   restarted on a host with the smaller MTU see large packets dropped. Or a VXLAN
#   interface's underlay device has an MTU below the VXLAN MTU + 50 bytes of encapsulation
#   (+70 when the underlay carries IPv6 only), so full-size guest frames are silently
#   dropped. Seed 004 names MTU mismatches (jumbo frames vs 1500) as a cause of broken
#   system VM traffic; seed 001 describes VXLAN encapsulation. Medium: traffic breaks for
#   some packet sizes in a way that is hard to see.
# custom:
#   id: CSA-HOST-008
#   severity: medium
#   category: network
#   remediation:
#     summary: Give the bridge the same MTU on every host of the cluster, and raise the underlay MTU to at least the VXLAN MTU + 50 (+70 for IPv6).
#     commands:
#       - kind: shell
#         text: ip -d link show | grep -E 'mtu|vxlan'
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (MTU, jumbo frames)
#     - seed:001_846adba9a861db0c.txt (VXLAN encapsulation)
#   controls: [network, availability]
#   requires: [hosts.interfaces, hosts.agent_properties, db.host, db.cluster]
package csaudit.checks.host.mtu

import data.csaudit.lib

device_keys := ["private.network.device", "public.network.device", "guest.network.device"]

# The bridges a host's agent uses for traffic; cloudbr* when agent.properties was not read.
traffic_bridges(facts) := {v | some k in device_keys; v := facts.agent_properties.values[k]}

traffic_bridge(facts, link) if link.name in traffic_bridges(facts)

traffic_bridge(facts, link) if {
	not facts.agent_properties
	link.kind == "bridge"
	startswith(link.name, "cloudbr")
}

# [cluster id, bridge] → MTUs seen on the cluster's hosts (an object
# comprehension: a partial set with a composite key was much slower).
bridge_mtus := {[cid, name]: mtus |
	some cid, hids in lib.hosts_in_cluster
	links := [l | some hid in hids; some l in traffic_links(input.hosts[lib.routing_hosts[hid].uuid])]
	some name in {l.name | some l in links}
	mtus := {l.mtu | some l in links; l.name == name}
}

# A host's traffic bridge links, the bridge names computed once per host.
traffic_links(facts) := [l | some l in facts.interfaces.links; l.name in bridges] if {
	facts.agent_properties
	bridges := traffic_bridges(facts)
} else := [l | some l in facts.interfaces.links; traffic_bridge(facts, l)]

deny contains f if {
	some k, mtus in bridge_mtus
	count(mtus) > 1
	[cid, bridge] := k
	c := lib.clusters[cid]
	f := {
		"resource": lib.cluster_resource(cid, c),
		"discriminator": bridge,
		"message": sprintf("bridge %s has MTUs %v across cluster %s", [bridge, sort(mtus), c.name]),
		"evidence": {"bridge": bridge, "mtus": sort(mtus)},
	}
}

ipv6_only(link) if {
	count(object.get(link, "addrs", [])) > 0
	every a in link.addrs {
		contains(a, ":")
	}
}

overhead(link) := 70 if ipv6_only(link)

else := 50

deny contains f if {
	some id, h in lib.routing_hosts
	links := input.hosts[h.uuid].interfaces.links
	by_name := {l.name: l | some l in links}
	some v in links
	v.kind == "vxlan"
	under := by_name[v.underlay]
	under.mtu < v.mtu + overhead(under)
	f := {
		"resource": lib.host_resource(id, h),
		"discriminator": v.name,
		"message": sprintf("VXLAN %s on %s has MTU %d but its underlay %s only %d (needs %d)", [v.name, h.name, v.mtu, under.name, under.mtu, v.mtu + overhead(under)]),
		"evidence": {"vxlan": v.name, "mtu": v.mtu, "underlay": under.name, "underlay_mtu": under.mtu, "overhead": overhead(under)},
	}
}
