package csaudit.checks.drift.hypervisor_test

import data.csaudit.checks.drift.hypervisor as check
import data.csaudit.testlib

# VM 7's uuid as CloudStack generates it, so libvirt's domain carries it too.
uuid7 := "0c1a5e3b-7d2f-4e8a-9b61-000000000007"

other_uuid := "5f0e9d2c-1b3a-4c4d-8e7f-0000000000ff"

dom(name) := {"name": name, "uuid": uuid7, "state": "running", "reason": "booted"}

dom_as(name, uuid, state, reason) := {"name": name, "uuid": uuid, "state": state, "reason": reason}

vm7(fields) := testlib.vm(7, object.union({"uuid": uuid7, "update_time": "2026-11-22T09:00:00Z"}, fields))

snap(vm_fields, doms1, doms2) := testlib.with_hosts(
	testlib.snapshot({
		"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})},
		"vm_instance": {"7": vm7(vm_fields)},
	}),
	{
		"uuid-host-1": {"domains": {"collected_at": "2026-11-22T10:00:02Z", "domains": doms1}},
		"uuid-host-2": {"domains": {"collected_at": "2026-11-22T10:00:02Z", "domains": doms2}},
	},
)

kinds(s) := k if {
	k := {f.discriminator: f.severity | some f in check.deny} with input as s
}

# A live StartVM work job on VM 7, run by an alive management server.
with_live_job(s) := object.union(s, {"db": object.union(s.db, {
	"mshost": {"1": testlib.mshost(1, {})},
	"async_job": {"40": {"id": 40, "job_status": 0, "job_executing_msid": 1001, "removed": null, "instance_type": "VirtualMachine", "instance_id": 7}},
	"vm_work_job": {"40": {"id": 40, "vm_instance_id": 7, "step": "Starting"}},
})})

# Host 2's domains read at t instead of 2 s after the database.
host2_read_at(s, t) := object.union(s, {"hosts": object.union(s.hosts, {"uuid-host-2": object.union(s.hosts["uuid-host-2"], {"domains": object.union(s.hosts["uuid-host-2"].domains, {"collected_at": t})})})})

test_vm_on_two_hosts_is_critical if {
	kinds(snap({}, [dom("i-2-7-VM")], [dom("i-2-7-VM")])) == {"running-twice": "critical"}
}

test_stopped_vm_running_is_critical if {
	kinds(snap({"state": "Stopped", "host_id": null}, [], [dom("i-2-7-VM")])) == {"running-while-off": "critical"}
}

test_vm_on_other_host_is_medium if {
	kinds(snap({}, [], [dom("i-2-7-VM")])) == {"other-host": "medium"}
}

test_running_vm_missing_from_its_host_is_medium if {
	kinds(snap({}, [], [])) == {"missing": "medium"}
}

test_shut_off_domain_is_missing if {
	kinds(snap({}, [dom_as("i-2-7-VM", uuid7, "shutoff", "destroyed")], [])) == {"missing": "medium"}
}

test_consistent_host_is_quiet if {
	count(check.deny) == 0 with input as snap({}, [dom("i-2-7-VM"), dom_as("some-other-domain", other_uuid, "running", "booted")], [])
}

test_uncollected_host_is_not_assumed_empty if {
	s := testlib.with_hosts(
		testlib.snapshot({"host": {"1": testlib.host(1, {})}, "vm_instance": {"7": vm7({})}}),
		{"uuid-host-1": {"agent": {"state": "active"}}},
	)
	count(check.deny) == 0 with input as s
}

# The libvirt collector names a domain being shut down "shutdown": it still runs.
test_domain_shutting_down_counts_as_running if {
	kinds(snap({"state": "Stopped", "host_id": null}, [], [dom_as("i-2-7-VM", uuid7, "shutdown", "user")])) == {"running-while-off": "critical"}
}

# --- Unknown domains: CloudStack's naming rule, not every foreign guest. ---

test_unknown_cloudstack_domain_is_medium if {
	s := snap({}, [dom("i-2-7-VM"), dom_as("i-2-99-VM", other_uuid, "running", "booted")], [])
	kinds(s) == {"unknown-domain": "medium"}
	some f in check.deny with input as s
	f.resource.name == "i-2-99-VM"
	f.evidence.uuids == [other_uuid]
}

test_unknown_router_name_is_reported if {
	kinds(snap({}, [dom("i-2-7-VM"), dom_as("r-12-VM", other_uuid, "running", "booted")], [])) == {"unknown-domain": "medium"}
}

test_unmanaged_guest_name_is_left_alone if {
	count(check.deny) == 0 with input as snap({}, [dom("i-2-7-VM"), dom_as("web01", other_uuid, "running", "booted"), dom_as("i-foo", other_uuid, "running", "booted")], [])
}

# --- Matching by uuid and name. ---

# Same name, another uuid: not VM 7. Reported once, with both uuids; the VM is
# not also called missing (the agent would report the domain under its name).
test_same_name_other_uuid_is_a_mismatch if {
	s := snap({}, [dom_as("i-2-7-VM", other_uuid, "running", "booted")], [])
	kinds(s) == {"uuid-mismatch": "medium"}
	some f in check.deny with input as s
	f.evidence.vm_uuid == uuid7
	f.evidence.domains == [{"host_id": "1", "uuid": other_uuid}]
}

test_stopped_vm_with_same_name_other_uuid_is_not_running_while_off if {
	kinds(snap({"state": "Stopped", "host_id": null}, [], [dom_as("i-2-7-VM", other_uuid, "running", "booted")])) == {"uuid-mismatch": "medium"}
}

# Same uuid, another name: it is VM 7, running under a name CloudStack does not know.
test_renamed_domain_is_the_vm if {
	s := snap({}, [dom_as("renamed-7", uuid7, "running", "booted")], [])
	kinds(s) == {"renamed": "medium"}
	some f in check.deny with input as s
	f.evidence.domains == [{"host_id": "1", "name": "renamed-7"}]
}

test_renamed_domain_elsewhere_is_other_host if {
	kinds(snap({}, [], [dom_as("renamed-7", uuid7, "running", "booted")])) == {"renamed": "medium", "other-host": "medium"}
}

test_renamed_copy_makes_running_twice if {
	kinds(snap({}, [dom("i-2-7-VM")], [dom_as("copy-7", uuid7, "running", "booted")])) == {"running-twice": "critical", "renamed": "medium"}
}

# A VM whose uuid the agent cannot use gets a random domain uuid: matched by name.
test_non_canonical_vm_uuid_matches_by_name if {
	count(check.deny) == 0 with input as snap({"uuid": "custom-7"}, [dom_as("i-2-7-VM", other_uuid, "running", "booted")], [])
	kinds(snap({"uuid": "custom-7"}, [], [dom_as("i-2-7-VM", other_uuid, "running", "booted")])) == {"other-host": "medium"}
}

test_domain_uuid_case_does_not_matter if {
	count(check.deny) == 0 with input as snap({}, [dom_as("i-2-7-VM", upper(uuid7), "running", "booted")], [])
}

# --- Exclusions. ---

test_migrating_vm_is_excluded_from_every_case if {
	count(check.deny) == 0 with input as snap({"state": "Migrating"}, [dom("i-2-7-VM")], [dom("i-2-7-VM")])
	count(check.deny) == 0 with input as snap({"state": "Migrating"}, [], [dom("i-2-7-VM")])
	count(check.deny) == 0 with input as snap({"state": "Migrating"}, [], [dom_as("i-2-7-VM", other_uuid, "running", "booted")])
	count(check.deny) == 0 with input as snap({"state": "Migrating"}, [], [dom_as("renamed-7", uuid7, "running", "booted")])
}

test_domain_paused_for_migration_does_not_run if {
	incoming := dom_as("i-2-7-VM", uuid7, "paused", "migration")
	count(check.deny) == 0 with input as snap({}, [dom("i-2-7-VM")], [incoming])
	count(check.deny) == 0 with input as snap({"state": "Stopped", "host_id": null}, [], [incoming])
}

test_post_copy_migration_is_neither_running_nor_missing if {
	source := dom_as("i-2-7-VM", uuid7, "paused", "postcopy")
	target := dom_as("i-2-7-VM", uuid7, "running", "postcopy")
	count(check.deny) == 0 with input as snap({}, [source], [target])
}

# Paused for any other reason the QEMU process is there: it counts.
test_domain_paused_by_user_still_runs if {
	kinds(snap({}, [dom("i-2-7-VM")], [dom_as("i-2-7-VM", uuid7, "paused", "user")])) == {"running-twice": "critical"}
}

# A paused domain whose reason libvirt did not give counts as running.
test_paused_domain_without_reason_still_runs if {
	kinds(snap({}, [dom("i-2-7-VM")], [{"name": "i-2-7-VM", "uuid": uuid7, "state": "paused"}])) == {"running-twice": "critical"}
}

test_live_work_job_lowers_to_info if {
	s := with_live_job(snap({}, [dom("i-2-7-VM")], [dom("i-2-7-VM")]))
	kinds(s) == {"running-twice": "info"}
	some f in check.deny with input as s
	f.evidence.info_because == ["a live work job works on the VM"]
}

test_finished_job_does_not_lower if {
	s := with_live_job(snap({}, [dom("i-2-7-VM")], [dom("i-2-7-VM")]))
	done := object.union(s, {"db": object.union(s.db, {"async_job": {"40": object.union(s.db.async_job["40"], {"job_status": 1})}})})
	kinds(done) == {"running-twice": "critical"}
}

# --- Grace window (default 2 x ping.interval = 120 s). ---

test_recent_state_change_lowers_to_info if {
	s := snap({"state": "Stopped", "host_id": null, "update_time": "2026-11-22T09:59:00Z"}, [], [dom("i-2-7-VM")])
	kinds(s) == {"running-while-off": "info"}
	some f in check.deny with input as s
	contains(f.evidence.info_because[0], "60 s before the database was read")
}

test_state_change_after_db_read_lowers_to_info if {
	kinds(snap({"update_time": "2026-11-22T10:00:30Z"}, [], [])) == {"missing": "info"}
}

test_old_state_change_keeps_severity if {
	kinds(snap({"state": "Stopped", "host_id": null, "update_time": "2026-11-22T09:57:59Z"}, [], [dom("i-2-7-VM")])) == {"running-while-off": "critical"}
}

test_grace_follows_ping_interval if {
	s := testlib.with_settings(
		snap({"state": "Stopped", "host_id": null, "update_time": "2026-11-22T09:59:00Z"}, [], [dom("i-2-7-VM")]),
		{"ping.interval": testlib.set_to("20")},
	)
	kinds(s) == {"running-while-off": "critical"}
}

test_grace_param_overrides if {
	s := snap({"state": "Stopped", "host_id": null, "update_time": "2026-11-22T09:59:00Z"}, [], [dom("i-2-7-VM")])
	k := kinds(s) with data.csaudit.params.drift_grace_seconds as 30
	k == {"running-while-off": "critical"}
	k2 := kinds(s) with data.csaudit.params.drift_grace_seconds as 600
	k2 == {"running-while-off": "info"}
}

test_host_read_long_after_db_lowers_to_info if {
	s := host2_read_at(snap({}, [dom("i-2-7-VM")], [dom("i-2-7-VM")]), "2026-11-22T10:05:00Z")
	kinds(s) == {"running-twice": "info"}
	some f in check.deny with input as s
	f.evidence.info_because == ["libvirt on kvm-2 was read 300 s apart from the database, more than the 120 s grace window"]
}

test_host_read_soon_after_db_keeps_severity if {
	kinds(host2_read_at(snap({}, [dom("i-2-7-VM")], [dom("i-2-7-VM")]), "2026-11-22T10:01:30Z")) == {"running-twice": "critical"}
}

test_read_time_is_put_on_the_database_clock if {
	# Host 2 read at 10:05 on the auditor's clock, which is 290 s behind the
	# database's: 10:09:50 on the database's clock, 590 s after db_now (host
	# 1, read at 10:00:02, moves to 10:04:52).
	s := host2_read_at(snap({}, [dom("i-2-7-VM")], [dom("i-2-7-VM")]), "2026-11-22T10:05:00Z")
	auditor_behind := object.union(s, {"meta": object.union(s.meta, {"database": {"clock_offset_ms": 290000}})})
	some f in check.deny with input as auditor_behind
	f.evidence.info_because == [
		"libvirt on kvm-1 was read 292 s apart from the database, more than the 120 s grace window",
		"libvirt on kvm-2 was read 590 s apart from the database, more than the 120 s grace window",
	]

	# 290 s ahead instead: host 2's read lands 10 s after db_now, inside the
	# window, and host 1's (09:55:12) is the one read apart.
	auditor_ahead := object.union(s, {"meta": object.union(s.meta, {"database": {"clock_offset_ms": -290000}})})
	some g in check.deny with input as auditor_ahead
	g.evidence.info_because == ["libvirt on kvm-1 was read 288 s apart from the database, more than the 120 s grace window"]
}

test_uninvolved_late_host_does_not_lower if {
	# Host 2 was read late, but the drift is on host 1 alone.
	kinds(host2_read_at(snap({}, [], []), "2026-11-22T10:05:00Z")) == {"missing": "medium"}
}

test_late_host_lowers_unknown_domain if {
	s := host2_read_at(snap({}, [dom("i-2-7-VM")], [dom_as("i-2-99-VM", other_uuid, "running", "booted")]), "2026-11-22T09:50:00Z")
	kinds(s) == {"unknown-domain": "info"}
}
