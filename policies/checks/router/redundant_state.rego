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
#     summary: Restart the network (or VPC) with cleanup so the pair is rebuilt; check keepalived on both routers and the link between them first.
#     commands:
#       - kind: cmk
#         text: cmk list routers id={uuid} filter=name,redundantstate,networkname,vpcname,state
#       - kind: cmk
#         text: cmk restart network id=<network uuid> cleanup=true
#   references:
#     - cloudstack:api/src/main/java/com/cloud/network/router/VirtualRouter.java (RedundantState)
#   controls: [availability, network]
#   requires: [db.domain_router, db.vm_instance, db.router_network_ref]
package csaudit.checks.router.redundant_state

import data.csaudit.lib

running_redundant := {id: r |
	some id, r in object.get(input.db, "domain_router", {})
	lib.truthy(r.is_redundant_router)
	lib.live_vm(id).state == "Running"
}

# A redundant pair is the routers of one VPC, or else of one guest network.
refs := object.get(input.db, "router_network_ref", {})

networks_of := {lib.key(rid): nets |
	some rid in {ref.router_id | some ref in refs}
	nets := {ref.network_id | some ref in refs; ref.router_id == rid}
}

groups := {id: group_set(id, r) | some id, r in running_redundant}

group_set(_, r) := {sprintf("vpc:%v", [r.vpc_id])} if object.get(r, "vpc_id", null) != null

group_set(id, r) := {sprintf("network:%v", [nid]) | some nid in object.get(networks_of, id, set())} if object.get(r, "vpc_id", null) == null

# Built once: which routers claim PRIMARY per group.
primaries[g] contains id if {
	some id, r in running_redundant
	r.redundant_state == "PRIMARY"
	some g in groups[id]
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
		"evidence": {"redundant_state": r.redundant_state, "groups": sort(groups[id])},
	}
}
