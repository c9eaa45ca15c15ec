package csaudit.checks.host.traffic_labels_test

import data.csaudit.checks.host.traffic_labels as check
import data.csaudit.testlib

tt(id, traffic, label) := {"id": id, "uuid": sprintf("tt-%d", [id]), "physical_network_id": 1, "traffic_type": traffic, "kvm_network_label": label, "xenserver_network_label": null}

links(names) := {"interfaces": {"links": [{"name": n, "mtu": 1500, "kind": "bridge", "up": true} | some n in names]}}

snap(labels, facts) := testlib.with_hosts(
	testlib.snapshot({
		"physical_network": {"1": {"id": 1, "uuid": "pn-1", "name": "phys-1", "data_center_id": 1, "removed": null}},
		"physical_network_traffic_types": labels,
		"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})},
	}),
	facts,
)

labels := {"1": tt(1, "Management", "cloudbr0"), "2": tt(2, "Public", "cloudbr1"), "3": tt(3, "Guest", "cloudbr1"), "4": tt(4, "Storage", "cloudbr9")}

test_host_missing_public_bridge_is_high if {
	fs := check.deny with input as snap(object.union(labels, {"5": tt(5, "Management", "cloudbr9")}), {"uuid-host-1": links(["cloudbr0", "cloudbr1", "cloudbr9"]), "uuid-host-2": links(["cloudbr0"])})
	count(fs) == 2
	every f in fs {
		f.resource.type == "host"
		f.resource.id == "2"
	}
	{[f.evidence.bridge, f.evidence.traffic_types] | some f in fs} == {["cloudbr1", ["Guest", "Public"]], ["cloudbr9", ["Management"]]}
}

test_label_no_host_has_is_filed_on_physical_network if {
	fs := check.deny with input as snap({"1": tt(1, "Management", "mgmtbr")}, {"uuid-host-1": links(["cloudbr0"]), "uuid-host-2": links(["cloudbr0"])})
	count(fs) == 1
	some f in fs
	f.resource.type == "physical_network"
	f.evidence.bridge == "mgmtbr"
}

test_link_that_is_not_a_bridge if {
	bad := {"interfaces": {"links": [{"name": "cloudbr0", "mtu": 1500, "kind": "bridge"}, {"name": "cloudbr1", "mtu": 1500, "kind": "vlan"}]}}
	some f in check.deny with input as snap(labels, {"uuid-host-1": links(["cloudbr0", "cloudbr1"]), "uuid-host-2": bad})
	contains(f.message, "not a bridge")
}

test_bridges_everywhere_are_quiet if {
	count(check.deny) == 0 with input as snap(labels, {"uuid-host-1": links(["cloudbr0", "cloudbr1"]), "uuid-host-2": links(["cloudbr0", "cloudbr1", "virbr0"])})
}

test_empty_label_is_not_judged if {
	count(check.deny) == 0 with input as snap({"1": tt(1, "Management", null)}, {"uuid-host-1": links([]), "uuid-host-2": links([])})
}
