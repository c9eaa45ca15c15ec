# METADATA
# title: Redundant virtual router pair split-brain or faulty
# description: >-
#   Two running routers of one redundant pair (same VPC, or same guest network through
#   router_network_ref) both report PRIMARY: both answer for the gateway address, so guest
#   traffic flaps between them (critical paths like DHCP and NAT break). Or a running
#   redundant router reports FAULT or UNKNOWN, so the pair has no working standby. Split
#   brain is high (an outage of the tenant network is likely); FAULT/UNKNOWN is medium
#   (HA of the network silently lost). Source: VirtualRouter.RedundantState (states.md).
# custom:
#   id: CSA-VR-001
#   severity: high
#   category: routers
#   remediation:
#     summary: "Check keepalived on both routers and the link between them first; then restart the network (or VPC) with cleanup in a window so the pair is rebuilt."
#     commands:
#       - kind: cmk
#         text: "cmk list routers id={uuid} listall=true filter=name,redundantstate,networkname,vpcname,state"
#       - kind: cmk
#         text: "cmk restart network id=<network-uuid> cleanup=true"
#   references:
#     - cloudstack:api/src/main/java/com/cloud/network/router/VirtualRouter.java (RedundantState)
#   controls: [availability, network]
#   requires: [db.domain_router, db.vm_instance, db.router_network_ref, db.networks]
package csaudit.checks.router.redundant_state

import data.csaudit.lib

running_redundant := {id: r |
	some id, r in object.get(input.db, "domain_router", {})
	lib.truthy(r.is_redundant_router)
	lib.live_vm(id).state == "Running"
}

# A redundant pair is the routers of one VPC, or else of one guest network.
# Which routers claim PRIMARY per group, through the groupings of
# domain_router by (redundant_state, vpc_id) and router_network_ref by network.
vpc_primaries := {sprintf("vpc:%s", [vpc]): ids |
	some k, members in lib.group("domain_router", "redundant_state|vpc_id", "id")
	[state, vpc] := split(k, "|")
	state == "PRIMARY"
	ids := {id | some id, _ in members; running_redundant[id]}
}

network_primaries := {sprintf("network:%s", [net]): ids |
	some net, routers in lib.group("router_network_ref", "network_id", "router_id")
	ids := {id |
		some id, _ in routers
		r := running_redundant[id]
		r.redundant_state == "PRIMARY"
		object.get(r, "vpc_id", null) == null
	}
}

primaries := object.union(vpc_primaries, network_primaries)

groups_of(_, r) := {sprintf("vpc:%v", [r.vpc_id])} if object.get(r, "vpc_id", null) != null

groups_of(id, r) := {sprintf("network:%s", [n]) | some n, _ in object.get(lib.group("router_network_ref", "router_id", "network_id"), id, {})} if {
	object.get(r, "vpc_id", null) == null
}

deny contains f if {
	some g, ids in primaries
	count(ids) > 1
	some id in ids
	vm := lib.live_vm(id)
	f := {
		"resource": lib.vm_resource(id, vm),
		"discriminator": g,
		"message": sprintf("router %s and %d other(s) of %s all report PRIMARY", [vm.instance_name, count(ids) - 1, g]),
		"evidence": {"group": g, "primaries": sort([lib.live_vm(i).instance_name | some i in ids])},
		"remediation": {"commands": rebuild(g)},
		"args": rebuild_args(g),
	}
}

deny contains f if {
	some id, r in running_redundant
	r.redundant_state in {"FAULT", "UNKNOWN"}
	vm := lib.live_vm(id)
	f := {
		"resource": lib.vm_resource(id, vm),
		"severity": "medium",
		"discriminator": r.redundant_state,
		"message": sprintf("redundant router %s reports %s", [vm.instance_name, r.redundant_state]),
		"evidence": {"redundant_state": r.redundant_state, "groups": sort(groups_of(id, r))},
		"remediation": {"commands": rebuild(first_group(id, r))},
		"args": rebuild_args(first_group(id, r)),
	}
}

first_group(id, r) := sort(groups_of(id, r))[0] if count(groups_of(id, r)) > 0

else := ""

list_router := {"kind": "cmk", "text": "cmk list routers id={uuid} listall=true filter=name,redundantstate,networkname,vpcname,state"}

network_of(g) := input.db.networks[trim_prefix(g, "network:")] if startswith(g, "network:")

# The pair is rebuilt by restarting what it serves: its guest network (uuid
# from the networks table) or its VPC (looked up from the router).
rebuild(g) := [list_router, {"kind": "cmk", "text": "cmk restart network id={network_uuid} cleanup=true"}] if {
	network_of(g)
} else := [
	list_router,
	{"kind": "cmk", "text": "cmk list routers id={uuid} listall=true filter=vpcid,vpcname"},
	{"kind": "cmk", "text": "cmk restart vpc id=<vpc-uuid> cleanup=true"},
] if {
	startswith(g, "vpc:")
} else := [list_router, {"kind": "cmk", "text": "cmk restart network id=<network-uuid> cleanup=true"}]

rebuild_args(g) := {"network_uuid": network_of(g).uuid} if network_of(g)

else := {}
