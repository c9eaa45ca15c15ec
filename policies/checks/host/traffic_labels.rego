# METADATA
# title: KVM traffic label names a bridge missing on a host
# description: >-
#   The KVM traffic label of a physical network's Management, Public or Guest traffic
#   (physical_network_traffic_types.kvm_network_label) names the Linux bridge the agent
#   plugs system VM, router and guest NICs into. Seed 004 requires pre-configured
#   Management and Public traffic labels for system VMs to plumb their interfaces. A
#   label naming a bridge that an Up KVM host of the zone lacks (interfaces fact) makes
#   every system VM, router or guest NIC placed on that host fail to start. High: an
#   outage is likely. Filed against the host, or against the physical network when no
#   host of the zone has the bridge (the label itself is wrong). XenServer labels name
#   XAPI networks, which the interfaces fact does not show: not judged. A label left
#   empty falls back to the agent's network devices (agent.properties) and is not judged.
# custom:
#   id: CSA-HOST-013
#   severity: high
#   category: network
#   remediation:
#     summary: >-
#       Compare the label with the host's bridges, then either create the bridge on the
#       host (and restart its agent in maintenance) or correct the traffic label.
#     steps:
#       - List the physical network's traffic types and their KVM labels.
#       - List the bridges on the host (the evidence names the ones it has).
#       - Create the missing bridge with the host in maintenance, or update the traffic type's kvmnetworklabel when the label is wrong for every host.
#     commands:
#       - kind: cmk
#         text: cmk list traffictypes physicalnetworkid=<physical-network-uuid> filter=id,traffictype,kvmnetworklabel
#       - kind: shell
#         text: ip -br link show type bridge
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (pre-configured Management and Public traffic label)
#     - cloudstack:api listTrafficTypes, updateTrafficType kvmnetworklabel
#   controls: [network, availability]
#   requires: [db.physical_network, db.physical_network_traffic_types, db.host, hosts.interfaces]
package csaudit.checks.host.traffic_labels

import data.csaudit.lib

judged_traffic := {"Management", "Public", "Guest"}

bridge_kinds := {"bridge", "openvswitch"}

# [physical network id, zone id, bridge] -> the traffic types whose non-empty
# KVM label names the bridge.
labels := {[pnid, lib.key(pn.data_center_id), bridge]: types |
	some pnid, pn in object.get(input.db, "physical_network", {})
	pn.removed == null
	some bridge in {b | some tt in tts_of[pnid]; b := label_bridge(tt)}
	types := sort([tt.traffic_type | some tt in tts_of[pnid]; label_bridge(tt) == bridge])
}

tts_of[lib.key(tt.physical_network_id)] contains tt if {
	some tt in object.get(input.db, "physical_network_traffic_types", {})
	tt.traffic_type in judged_traffic
}

label_bridge(tt) := bridge if {
	tt.kvm_network_label != null
	bridge := trim_space(split(tt.kvm_network_label, ",")[0])
	bridge != ""
}

# Up KVM hosts per zone whose interfaces were read.
kvm_hosts[lib.key(h.data_center_id)] contains hid if {
	some hid, h in lib.routing_hosts
	h.hypervisor_type == "KVM"
	h.status == "Up"
	input.hosts[h.uuid].interfaces.links
}

# Why a host cannot use the bridge; undefined when it can.
problem(h, bridge) := sprintf("has no link named %s", [bridge]) if {
	not bridge in {l.name | some l in input.hosts[h.uuid].interfaces.links}
} else := sprintf("has %s as a %s link, not a bridge", [bridge, l.kind]) if {
	some l in input.hosts[h.uuid].interfaces.links
	l.name == bridge
	object.get(l, "kind", "") != ""
	not l.kind in bridge_kinds
}

lacking := {k: bad |
	some k, _ in labels
	[_, zid, bridge] := k
	bad := {hid: why |
		some hid in object.get(kvm_hosts, zid, set())
		why := problem(lib.routing_hosts[hid], bridge)
	}
}

evidence(pnid, bridge, types) := {
	"traffic_types": types, "bridge": bridge,
	"physical_network": pn.name, "physical_network_uuid": pn.uuid,
} if pn := input.db.physical_network[pnid]

# Some hosts lack the bridge: filed against each of them.
deny contains f if {
	some k, types in labels
	[pnid, zid, bridge] := k
	bad := lacking[k]
	count(bad) < count(kvm_hosts[zid])
	some hid, why in bad
	h := lib.routing_hosts[hid]
	ev := evidence(pnid, bridge, types)
	f := {
		"resource": lib.host_resource(hid, h),
		"discriminator": sprintf("%s:%s", [pnid, bridge]),
		"message": sprintf("host %s %s: it is the KVM label of %s traffic on physical network %s", [h.name, why, concat(" and ", types), ev.physical_network]),
		"evidence": object.union(ev, {"bridges_on_host": sort([l.name | some l in input.hosts[h.uuid].interfaces.links; object.get(l, "kind", "") in bridge_kinds])}),
	}
}

# No Up KVM host of the zone has it: the label is wrong.
deny contains f if {
	some k, types in labels
	[pnid, zid, bridge] := k
	bad := lacking[k]
	count(bad) > 0
	count(bad) == count(kvm_hosts[zid])
	ev := evidence(pnid, bridge, types)
	f := {
		"resource": {"type": "physical_network", "id": pnid, "uuid": ev.physical_network_uuid, "name": ev.physical_network},
		"discriminator": bridge,
		"message": sprintf("no Up KVM host of zone %s has %s, the KVM label of %s traffic on physical network %s", [zone_name(zid), bridge, concat(" and ", types), ev.physical_network]),
		"evidence": object.union(ev, {"hosts": count(bad)}),
	}
}

zone_name(zid) := object.get(object.get(lib.zones, zid, {}), "name", zid)
