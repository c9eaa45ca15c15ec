package csaudit.checks.sysvm.guest_network_test

import data.csaudit.checks.sysvm.guest_network as check
import data.csaudit.testlib

net(id, traffic) := {"id": id, "uuid": sprintf("net-%d", [id]), "name": sprintf("%s-%d", [lower(traffic), id]), "traffic_type": traffic, "guest_type": guest_type(traffic), "removed": null}

guest_type("Guest") := "Isolated"

guest_type(t) := null if t != "Guest"

nic(id, vm, network, vmtype) := {"id": id, "instance_id": vm, "network_id": network, "vm_type": vmtype, "removed": null}

snap(nics) := snap_in(nics, testlib.zone(1, {"networktype": "Advanced", "is_security_group_enabled": false}))

snap_in(nics, zone) := testlib.snapshot({
	"data_center": {"1": zone},
	"vm_instance": {
		"1": testlib.vm(1, {"type": "SecondaryStorageVm", "instance_name": "s-1-VM"}),
		"2": testlib.vm(2, {"type": "ConsoleProxy", "instance_name": "v-2-VM"}),
	},
	"networks": {"10": net(10, "Control"), "11": net(11, "Management"), "12": net(12, "Public"), "20": net(20, "Guest")},
	"nics": nics,
})

healthy := {
	"1": nic(1, 1, 10, "SecondaryStorageVm"), "2": nic(2, 1, 11, "SecondaryStorageVm"), "3": nic(3, 1, 12, "SecondaryStorageVm"),
	"4": nic(4, 2, 10, "ConsoleProxy"), "5": nic(5, 2, 11, "ConsoleProxy"), "6": nic(6, 2, 12, "ConsoleProxy"),
}

test_ssvm_on_guest_network_is_high if {
	fs := check.deny with input as snap(object.union(healthy, {"7": nic(7, 1, 20, "SecondaryStorageVm")}))
	count(fs) == 1
	some f in fs
	f.resource.type == "system_vm"
	f.resource.id == "1"
	f.evidence.network == "guest-20"
}

test_console_proxy_on_guest_network if {
	some f in check.deny with input as snap(object.union(healthy, {"7": nic(7, 2, 20, "ConsoleProxy")}))
	f.resource.id == "2"
}

test_console_proxy_on_management_network_is_quiet if {
	count(check.deny) == 0 with input as snap(healthy)
}

test_removed_nic_is_quiet if {
	count(check.deny) == 0 with input as snap(object.union(healthy, {"7": object.union(nic(7, 1, 20, "SecondaryStorageVm"), {"removed": "2026-11-01T00:00:00Z"})}))
}

test_shared_guest_network_in_a_security_group_zone_is_by_design if {
	shared := {"21": {"id": 21, "uuid": "net-21", "name": "sg-shared", "traffic_type": "Guest", "guest_type": "Shared", "removed": null}}
	zone := testlib.zone(1, {"networktype": "Advanced", "is_security_group_enabled": true})
	s := snap_in(object.union(healthy, {"7": nic(7, 2, 21, "ConsoleProxy")}), zone)
	count(check.deny) == 0 with input as object.union(s, {"db": {"networks": shared}})

	# An isolated tenant network is still a fault there.
	some f in check.deny with input as snap_in(object.union(healthy, {"7": nic(7, 1, 20, "SecondaryStorageVm")}), zone)
	f.evidence.guest_type == "Isolated"
}
