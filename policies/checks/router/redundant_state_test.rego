package csaudit.checks.router.redundant_state_test

import data.csaudit.checks.router.redundant_state as check
import data.csaudit.testlib

db(s1, s2) := {
	"vm_instance": {
		"3": testlib.vm(3, {"type": "DomainRouter", "instance_name": "r-3-VM"}),
		"4": testlib.vm(4, {"type": "DomainRouter", "instance_name": "r-4-VM"}),
	},
	"domain_router": {
		"3": {"id": 3, "is_redundant_router": 1, "redundant_state": s1, "vpc_id": null},
		"4": {"id": 4, "is_redundant_router": 1, "redundant_state": s2, "vpc_id": null},
	},
	"router_network_ref": {
		"1": {"id": 1, "router_id": 3, "network_id": 200},
		"2": {"id": 2, "router_id": 4, "network_id": 200},
	},
}

test_both_primary_is_split_brain if {
	testlib.ids(check.deny) == {"3", "4"} with input as testlib.snapshot(db("PRIMARY", "PRIMARY"))
}

test_primary_backup_pair_is_healthy if {
	count(check.deny) == 0 with input as testlib.snapshot(db("PRIMARY", "BACKUP"))
}

test_fault_router_is_medium if {
	some f in check.deny with input as testlib.snapshot(db("PRIMARY", "FAULT"))
	f.resource.id == "4"
	f.severity == "medium"
}

# The network the pair serves is restarted by its own uuid, passed as an arg.
test_split_brain_restarts_the_pairs_network if {
	d := object.union(db("PRIMARY", "PRIMARY"), {"networks": {"200": {"id": 200, "uuid": "uuid-net-200", "name": "net", "removed": null}}})
	some f in check.deny with input as testlib.snapshot(d)
	f.args.network_uuid == "uuid-net-200"
	f.remediation.commands[1].text == "cmk restart network id={network_uuid} cleanup=true"
}
