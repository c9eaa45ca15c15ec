# METADATA
# title: Async job in progress too long
# description: >-
#   An async job has been IN_PROGRESS (job_status 0) for longer than
#   job.cancel.threshold.minutes (CloudStack's own limit before it force-cancels a job,
#   default 60; param job_pending_minutes overrides) although its management server is
#   alive. Jobs owned by a dead management server are CSA-JOB-001. A job that outlives
#   CloudStack's cancel threshold usually waits on a hung agent or storage call and keeps
#   its VM or volume locked. Medium per the rubric: a resource stuck beyond its threshold.
#   Source: job.cancel.threshold.minutes (settings.tsv), JobInfo.Status (states.md).
# custom:
#   id: CSA-JOB-002
#   severity: medium
#   category: stuck-state
#   remediation:
#     summary: "Find what the job waits on in management-server.log (by its job id) and fix that (agent, storage). A restart of the owning management server in a window cancels it (at start-up a management server cancels the jobs it left behind), but it also ends the other jobs running there."
#     commands:
#       - kind: cmk
#         text: "cmk query asyncjobresult jobid={uuid}"
#       - kind: shell
#         text: "grep -F -e job-{id} /var/log/cloudstack/management/management-server.log | tail -20"
#   references:
#     - cloudstack:api/src/main/java/org/apache/cloudstack/jobs/JobInfo.java
#     - cloudstack:setting job.cancel.threshold.minutes
#   controls: [operations]
#   requires: [db.async_job, db.mshost, settings]
package csaudit.checks.jobs.pending_too_long

import data.csaudit.lib

threshold_s := lib.param_or("job_pending_minutes", lib.job_cancel_minutes) * 60

short_cmd(job) := c if {
	parts := split(job.job_cmd, ".")
	c := parts[count(parts) - 1]
} else := sprintf("job-%v", [job.id])

deny contains f if {
	some id, job in object.get(input.db, "async_job", {})
	job.job_status == 0
	job.removed == null
	lib.ms_alive(job.job_executing_msid)
	job.created != null
	age := lib.age_seconds(job.created)
	age > threshold_s
	f := {
		"resource": {"type": "async_job", "id": id, "uuid": job.uuid, "name": short_cmd(job)},
		"message": sprintf("job %v (%s) has been in progress for %d minutes", [id, short_cmd(job), round(age / 60)]),
		"evidence": {"created": job.created, "age_seconds": age, "threshold_seconds": threshold_s, "msid": job.job_executing_msid, "instance_type": object.get(job, "instance_type", null), "instance_id": object.get(job, "instance_id", null)},
	}
}
