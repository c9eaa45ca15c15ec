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
#     summary: Check the SSVM and the hypervisor for the backup copy, then delete the stuck snapshot through the API so the next one can run.
#     commands:
#       - kind: cmk
#         text: cmk list snapshots id={uuid} filter=name,state,volumename,created
#       - kind: cmk
#         text: cmk delete snapshot id={uuid}
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
	}
}
