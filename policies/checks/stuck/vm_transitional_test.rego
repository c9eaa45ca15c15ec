package csaudit.checks.stuck.vm_transitional_test

import data.csaudit.checks.stuck.vm_transitional as check
import data.csaudit.testlib

old := "2026-11-22T08:00:00Z"

test_stopping_for_two_hours_is_flagged if {
	snap := testlib.snapshot({"vm_instance": {"7": testlib.vm(7, {"state": "Stopping", "update_time": old})}})
	testlib.ids(check.deny) == {"7"} with input as snap
}

test_expunging_with_removed_set_is_final if {
	snap := testlib.snapshot({"vm_instance": {"8": testlib.vm(8, {"state": "Expunging", "update_time": old, "removed": old})}})
	count(check.deny) == 0 with input as snap
}

test_recent_transition_is_not_flagged if {
	snap := testlib.snapshot({"vm_instance": {"9": testlib.vm(9, {"state": "Starting", "update_time": "2026-11-22T09:50:00Z"})}})
	count(check.deny) == 0 with input as snap
}

test_live_job_on_alive_ms_suppresses if {
	snap := testlib.snapshot({
		"vm_instance": {"7": testlib.vm(7, {"state": "Migrating", "update_time": old})},
		"vm_work_job": {"55": {"id": 55, "vm_instance_id": 7, "step": "Migrating"}},
		"async_job": {"55": {"id": 55, "job_status": 0, "job_executing_msid": 1001}},
		"mshost": {"1": testlib.mshost(1, {})},
	})
	count(check.deny) == 0 with input as snap
}

test_job_owned_by_dead_ms_does_not_count if {
	snap := testlib.snapshot({
		"vm_instance": {"7": testlib.vm(7, {"state": "Migrating", "update_time": old})},
		"vm_work_job": {"55": {"id": 55, "vm_instance_id": 7, "step": "Migrating"}},
		"async_job": {"55": {"id": 55, "job_status": 0, "job_executing_msid": 1001}},
		"mshost": {"1": testlib.mshost(1, {"state": "Down", "last_update": old})},
	})
	testlib.ids(check.deny) == {"7"} with input as snap
}

test_system_vm_starting_uses_300_seconds if {
	snap := testlib.snapshot({"vm_instance": {"3": testlib.vm(3, {
		"state": "Starting", "type": "SecondaryStorageVm", "instance_name": "s-3-VM",
		"update_time": "2026-11-22T09:50:00Z",
	})}})
	some f in check.deny with input as snap
	f.resource.type == "system_vm"
}

test_allocator_failure_is_evidenced if {
	snap := testlib.snapshot({"vm_instance": {"4": testlib.vm(4, {"state": "Starting", "host_id": null, "update_time": old})}})
	some f in check.deny with input as snap
	f.evidence.allocator_failed == true
}

# --- Remediation per situation: diagnose, verify, act ---

finding(db) := f if {
	some f in check.deny with input as testlib.snapshot(db)
}

fenced_finding(db, power) := f if {
	snap := object.union(testlib.snapshot(db), {"oobm": {"uuid-host-1": {"power": power}}})
	some f in check.deny with input as snap
}

texts(f) := [c.text | some c in f.remediation.commands]

# position of the first command containing s
pos(f, s) := i if {
	some i, t in texts(f)
	contains(t, s)
	not earlier(f, s, i)
}

earlier(f, s, i) if {
	some j, t in texts(f)
	j < i
	contains(t, s)
}

forced(f) if {
	some t in texts(f)
	contains(t, "forced=true")
}

# csaudit's fix engine sets fix_id itself (remediate.Annotate); the rule only
# names the fix in its steps and commands where one exists.
offers_fix(f) if {
	some t in texts(f)
	startswith(t, "csaudit fix")
}

stuck(state, fields) := {"vm_instance": {"7": testlib.vm(7, object.union({"state": state, "update_time": old}, fields))}}

test_stopping_on_up_host_verifies_with_virsh_before_forced_stop if {
	f := finding(object.union(stuck("Stopping", {}), {"host": {"1": testlib.host(1, {})}}))
	f.evidence.situation == "stopping-host-up"
	pos(f, "virsh -r domstate") < pos(f, "forced=true")
	pos(f, "cmk stop virtualmachine id={uuid}") < pos(f, "forced=true")
	pos(f, "forced=true") < pos(f, "csaudit fix apply")
	pos(f, "csaudit fix plan") < pos(f, "csaudit fix apply")
	some step in f.remediation.steps
	contains(step, "vm-stopping-to-stopped")
}

test_starting_on_up_host_has_no_stopping_fix if {
	f := finding(object.union(stuck("Starting", {}), {"host": {"1": testlib.host(1, {})}}))
	f.evidence.situation == "host-up"
	not offers_fix(f)
	pos(f, "virsh -r domstate") < pos(f, "forced=true")
	f.args.host_uuid == "uuid-host-1"
}

test_host_in_alert_not_fenced_gets_no_forced_stop if {
	f := finding(object.union(stuck("Stopping", {}), {"host": {"1": testlib.host(1, {"status": "Alert"})}}))
	f.evidence.situation == "host-lost"
	not forced(f)
	pos(f, "outofbandmanagementpoweraction") < pos(f, "cmk reconnect host")
}

test_host_in_alert_with_bmc_power_on_is_not_fenced if {
	f := fenced_finding(object.union(stuck("Stopping", {}), {"host": {"1": testlib.host(1, {"status": "Alert"})}}), "on")
	f.evidence.situation == "host-lost"
	not forced(f)
}

test_fenced_host_confirms_power_off_before_forced_stop if {
	f := fenced_finding(object.union(stuck("Stopping", {}), {"host": {"1": testlib.host(1, {"status": "Down"})}}), "off")
	f.evidence.situation == "host-fenced"
	pos(f, "action=STATUS") < pos(f, "forced=true")
}

test_migrating_checks_both_hosts_before_acting if {
	db := object.union(stuck("Migrating", {"host_id": 2, "last_host_id": 1}), {"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})}})
	f := finding(db)
	f.evidence.situation == "migrating"
	f.args.host == "kvm-2"
	f.args.last_host == "kvm-1"
	pos(f, "virsh -r domstate") < pos(f, "cmk reconnect host id={last_host_uuid}")
	pos(f, "cmk reconnect host id={host_uuid}") < pos(f, "forced=true")
	some step in f.remediation.steps
	contains(step, "source host and on the destination host")
}

test_migrating_with_a_lost_host_gets_no_forced_stop if {
	db := object.union(stuck("Migrating", {"host_id": 2, "last_host_id": 1}), {"host": {"1": testlib.host(1, {"status": "Alert"}), "2": testlib.host(2, {})}})
	f := finding(db)
	f.evidence.situation == "migrating-host-lost"
	not forced(f)
}

test_expunging_gets_the_expunge_path_not_a_stop if {
	f := finding(object.union(stuck("Expunging", {}), {"host": {"1": testlib.host(1, {})}}))
	f.evidence.situation == "expunging"
	not forced(f)
	pos(f, "virsh -r domstate") < pos(f, "cmk expunge virtualmachine")
	every t in texts(f) {
		not contains(t, "stop virtualmachine")
	}
}

test_starting_without_host_offers_the_starting_fix if {
	f := finding(stuck("Starting", {"host_id": null}))
	f.evidence.situation == "unplaced"
	some step in f.remediation.steps
	contains(step, "vm-starting-to-stopped")
	pos(f, "forced=true") < pos(f, "csaudit fix plan")
	pos(f, "virsh -r domstate") < pos(f, "forced=true")
}

test_stopping_without_host_has_no_fix if {
	f := finding(stuck("Stopping", {"host_id": null}))
	f.evidence.situation == "no-host"
	not offers_fix(f)
}

test_vanished_host_row_gets_no_forced_stop if {
	f := finding(stuck("Stopping", {}))
	f.evidence.situation == "host-missing"
	not forced(f)
}

test_steps_name_the_hosts_to_run_virsh_on if {
	db := object.union(stuck("Migrating", {"host_id": 2, "last_host_id": 1}), {"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})}})
	f := finding(db)
	contains(f.remediation.steps[1], "virsh domstate")
	f.remediation.steps[2] == "Run the virsh command on the source host kvm-1 and on the destination host kvm-2."
}

test_fenced_host_steps_do_not_mention_virsh if {
	f := fenced_finding(object.union(stuck("Stopping", {}), {"host": {"1": testlib.host(1, {"status": "Down"})}}), "off")
	every s in f.remediation.steps {
		not contains(s, "virsh")
	}
}
