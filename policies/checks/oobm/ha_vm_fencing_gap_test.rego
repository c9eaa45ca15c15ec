package csaudit.checks.oobm.ha_vm_fencing_gap_test

import data.csaudit.checks.oobm.ha_vm_fencing_gap as check
import data.csaudit.checks.oobm.testdata
import data.csaudit.testlib

snap(ha, extra) := testdata.with_db(testdata.snapshot({}), object.union(
	{
		"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {}), "3": testlib.host(3, {})},
		"vm_instance": {"10": testlib.vm(10, {"host_id": 1, "ha_enabled": ha})},
	},
	extra,
))

findings(s) := x if {
	x := {[f.resource.id, f.discriminator]: f.severity | some f in check.deny} with input as s
}

# VM-HA on KVM fences through peers and the storage heartbeat: a missing BMC only
# keeps Host-HA away, so it is low.
test_host_without_oobm_in_cluster_with_ha_vms_is_low if {
	s := snap(true, {})
	findings(s) == {["3", "no-oobm"]: "low"}
	some f in check.deny with input as s
	f.evidence.oobm_row == false
}

test_disabled_oobm_row_is_a_gap_too if {
	s := snap(true, {"oobm": {"11": testdata.oobm_row(11, 1, {}), "12": testdata.oobm_row(12, 2, {"enabled": 0}), "13": testdata.oobm_row(13, 3, {})}})
	findings(s) == {["2", "no-oobm"]: "low"}
}

test_no_ha_vms_is_quiet if {
	count(check.deny) == 0 with input as snap(false, {})
}

test_host_ha_hosts_are_left_to_the_high_check if {
	s := snap(true, {"ha_config": {"1": {"id": 1, "resource_id": 3, "resource_type": "Host", "enabled": 1}}})
	count(check.deny) == 0 with input as s
}

# KVMFencer asks the cluster's other Up KVM hosts; with none, HA cannot fence.
test_single_kvm_host_cluster_has_no_fencing_peer if {
	s := snap(true, {"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {"status": "Alert"}), "3": testlib.host(3, {"cluster_id": 2})}})
	f := findings(s)
	f[["1", "no-fencing-peer"]] == "high"
	not f[["2", "no-fencing-peer"]]
	not f[["3", "no-fencing-peer"]]
}

test_peers_up_is_quiet_for_fencing if {
	f := findings(snap(true, {}))
	not f[["1", "no-fencing-peer"]]
	not f[["2", "no-fencing-peer"]]
}

test_xenserver_hosts_do_not_need_kvm_peers if {
	s := snap(true, {"host": {"1": testlib.host(1, {"hypervisor_type": "XenServer", "cluster_id": 5})}})
	f := findings(s)
	not f[["1", "no-fencing-peer"]]
	not f[["1", "no-oobm"]]
}

# With VM-HA off for the zone, the VMs are not protected at all: CSA-HA-007.
test_vms_in_zone_with_vm_ha_off_do_not_count if {
	s := testlib.with_settings(
		snap(true, {"data_center": {"1": testlib.zone(1, {})}}),
		{"vm.ha.enabled": {"value": null, "default": "true", "overrides": {"zone": {"1": "false"}}}},
	)
	count(check.deny) == 0 with input as s
}
