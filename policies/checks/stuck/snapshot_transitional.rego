# METADATA
# title: Volume snapshot stuck in progress
# description: >-
#   A volume snapshot has been Allocated, Creating, CreatedOnPrimary, BackingUp or Copying
#   for longer than job.cancel.threshold.minutes (default 60; param snapshot_stuck_minutes
#   overrides) with no live job on it. Stuck snapshots hold the volume in Snapshotting,
#   consume primary storage and block the snapshot policy's next run. Medium per the
#   rubric: a resource stuck beyond its threshold. Source: Snapshot.State in
#   api/src/main/java/com/cloud/storage/Snapshot.java and job.cancel.threshold.minutes.
# custom:
#   id: CSA-STUCK-004
#   severity: medium
#   category: stuck-state
#   remediation:
#     summary: "Find out whether anything still works on the snapshot (its job, the SSVM or host copying it) before removing it; deleteSnapshot accepts only Allocated, CreatedOnPrimary, BackedUp, Destroying and Error, so the finding's remediation fits its state."
#     commands:
#       - kind: cmk
#         text: "cmk list snapshots id={uuid} filter=name,state,volumename,created"
#       - kind: shell
#         text: "grep -F -e {uuid} /var/log/cloudstack/management/management-server.log | tail -20"
#   references:
#     - cloudstack:api/src/main/java/com/cloud/storage/Snapshot.java
#     - seed:000_bd9184fa1d57f2b2.txt (storage lock contention during resets)
#   controls: [operations, backup]
#   requires: [db.snapshots, db.async_job, db.mshost, settings]
package csaudit.checks.stuck.snapshot_transitional

import data.csaudit.lib

in_progress := {"Allocated", "Creating", "CreatedOnPrimary", "BackingUp", "Copying"}

threshold_s := lib.param_or("snapshot_stuck_minutes", lib.job_cancel_minutes) * 60

deny contains f if {
	some id, s in object.get(input.db, "snapshots", {})
	s.removed == null
	s.status in in_progress
	s.created != null
	age := lib.age_seconds(s.created)
	age > threshold_s
	not lib.live_jobs_on[["Snapshot", id]]
	f := {
		"resource": {"type": "snapshot", "id": id, "uuid": s.uuid, "name": s.name},
		"message": sprintf("snapshot %s has been %s for %d minutes with no live job", [s.name, s.status, round(age / 60)]),
		"evidence": {"status": s.status, "created": s.created, "age_seconds": age, "volume_id": s.volume_id},
		"remediation": remediation[s.status],
		"args": {"status": s.status},
	}
}

list_snapshot := {"kind": "cmk", "text": "cmk list snapshots id={uuid} filter=name,state,volumename,created"}

grep_log := {"kind": "shell", "text": "grep -F -e {uuid} /var/log/cloudstack/management/management-server.log | tail -20"}

delete := {"kind": "cmk", "text": "cmk delete snapshot id={uuid}"}

list_ssvm := {"kind": "cmk", "text": "cmk list systemvms systemvmtype=secondarystoragevm filter=name,state,agentstate,zonename"}

# DefaultSnapshotStrategy.deleteSnapshot removes an Allocated row, marks a
# CreatedOnPrimary one Destroyed, and refuses Creating, BackingUp and Copying.
remediation["Allocated"] := {
	"summary": "Allocated: nothing reached storage yet. Once the log shows no job working on it, deleteSnapshot removes the row.",
	"commands": [list_snapshot, grep_log, delete],
}

remediation["CreatedOnPrimary"] := {
	"summary": "CreatedOnPrimary: the snapshot exists on primary storage but was never backed up. Once the log shows no job working on it, deleteSnapshot marks it Destroyed; check primary storage for the leftover copy afterwards.",
	"commands": [list_snapshot, grep_log, delete],
}

in_progress_remediation := {
	"summary": "CloudStack refuses deleteSnapshot in this state. Diagnose first: the job that created it (management-server.log), and the SSVM or KVM host copying it to secondary storage. Only when nothing works on it any more, mark it Error with a single-row update guarded by its current state (back the row up first); deleteSnapshot then accepts it and removes its store references.",
	"steps": [
		"Look at the snapshot and at management-server.log for its job and the copy command's answer.",
		"Check the zone's SSVM (agent Up) and, on KVM, agent.log of the host that ran the backup: the copy must be over.",
		"Save the row (the first SELECT: its current status is the one the UPDATE is guarded by) and confirm no unfinished async job names it (the second SELECT returns nothing).",
		"Only then run the guarded UPDATE (exactly one row), and delete the snapshot through the API.",
	],
	"commands": [
		list_snapshot, grep_log, list_ssvm,
		{"kind": "sql", "text": "SELECT id, uuid, status, volume_id, created, removed FROM snapshots WHERE id = {id};"},
		{"kind": "sql", "text": "SELECT id, job_status, job_cmd, created FROM async_job WHERE instance_type = 'Snapshot' AND instance_id = {id} AND job_status = 0;"},
		{"kind": "sql", "text": "UPDATE snapshots SET status = 'Error' WHERE id = {id} AND status = {status} AND removed IS NULL;"},
		delete,
	],
}

remediation[state] := in_progress_remediation if some state in {"Creating", "BackingUp", "Copying"}
