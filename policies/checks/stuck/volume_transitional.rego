# METADATA
# title: Volume stuck in a transitional state
# description: >-
#   A volume has been Creating, Migrating, Copying, Snapshotting, RevertSnapshotting,
#   Resizing, Expunging, UploadOp, Attaching or Restoring for longer than
#   job.cancel.threshold.minutes (CloudStack force-cancels in-progress jobs after it;
#   default 60, param volume_stuck_minutes overrides) and no live job (an in-progress
#   async job on the volume whose executing management server is alive) works on it.
#   Such a volume blocks attach, snapshot and VM start. The age is measured from the
#   volume's updated (else created) column, the only timestamps the row carries. Medium
#   per the rubric: a resource stuck beyond its threshold. Source: Volume.State
#   (states.md) and job.cancel.threshold.minutes (settings.tsv).
# custom:
#   id: CSA-STUCK-003
#   severity: medium
#   category: stuck-state
#   remediation:
#     summary: "Check the storage side (the copy or migration may still run on the SSVM or hypervisor), then retry or cancel the operation through the API; correct the row only when the storage shows the operation is over."
#     commands:
#       - kind: cmk
#         text: "cmk list volumes id={uuid} filter=name,state,storage,virtualmachineid"
#       - kind: shell
#         text: "grep -F -e {uuid} /var/log/cloudstack/management/management-server.log | tail -20"
#   references:
#     - cloudstack:api/src/main/java/com/cloud/storage/Volume.java
#     - cloudstack:setting job.cancel.threshold.minutes
#   controls: [availability, operations]
#   requires: [db.volumes, db.async_job, db.mshost, settings]
package csaudit.checks.stuck.volume_transitional

import data.csaudit.lib

transitional := {
	"Creating", "Migrating", "Copying", "Snapshotting", "RevertSnapshotting",
	"Resizing", "Expunging", "UploadOp", "Attaching", "Restoring",
}

threshold_s := lib.param_or("volume_stuck_minutes", lib.job_cancel_minutes) * 60

since(v) := v.updated if v.updated != null

else := v.created

deny contains f if {
	some state in transitional
	some id, _ in lib.ids_where("volumes", "state", state)
	v := input.db.volumes[id]
	ts := since(v)
	ts != null
	age := lib.age_seconds(ts)
	age > threshold_s
	not lib.live_jobs_on[["Volume", id]]
	f := {
		"resource": {"type": "volume", "id": id, "uuid": v.uuid, "name": v.name},
		"message": sprintf("volume %s has been %s for %d minutes with no live job", [v.name, v.state, round(age / 60)]),
		"evidence": {"state": v.state, "since": ts, "age_seconds": age, "instance_id": v.instance_id, "pool_id": v.pool_id},
	}
}
