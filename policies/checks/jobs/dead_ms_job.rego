# METADATA
# title: Async job pending on a management server that is gone
# description: >-
#   An async job is still IN_PROGRESS (job_status 0) but the management server executing
#   it (job_executing_msid, else job_init_msid) is not Up with a fresh heartbeat
#   (cluster.heartbeat.threshold). Such jobs hold their VM's work queue: later operations
#   on the VM queue behind them until job.cancel.threshold.minutes cancels them. Medium:
#   a resource stuck beyond its threshold.
# custom:
#   id: CSA-JOB-001
#   severity: medium
#   category: stuck-state
#   remediation:
#     summary: "The management server that owns the job is not alive. Start that server rather than restarting the survivors: at start-up a management server cancels the jobs it left behind, and the survivors cancel a peer's jobs only when they see it leave the cluster. Check the job's object afterwards."
#     steps:
#       - "Look at the job and at the management servers' states and heartbeats."
#       - "Start cloudstack-management on the owning server (evidence: msid); its jobs are cancelled as it starts."
#       - "If that server is gone for good, its mshost row must go Down so the survivors clean up its jobs (see CSA-MS-002)."
#     commands:
#       - kind: cmk
#         text: "cmk query asyncjobresult jobid={uuid}"
#       - kind: cmk
#         text: "cmk list managementservers filter=name,state,lastheartbeat,version"
#       - kind: sql
#         text: "SELECT id, job_cmd, job_status, job_executing_msid, created FROM async_job WHERE job_status = 0 AND (job_executing_msid = {msid} OR job_init_msid = {msid}) ORDER BY created;"
#       - kind: shell
#         text: "systemctl start cloudstack-management"
#   references:
#     - cloudstack:states.md (async_job.job_status, mshost.state, job.cancel.threshold.minutes)
#     - seed:000_bd9184fa1d57f2b2.txt (restart the management service to clear the internal task queue)
#   controls: [operations]
#   requires: [db.async_job, db.mshost, settings]
package csaudit.checks.jobs.dead_ms_job

import data.csaudit.lib

owner(job) := job.job_executing_msid if job.job_executing_msid != null

else := job.job_init_msid

# The API command class without its package: StartVMCmd.
short_cmd(job) := c if {
	parts := split(job.job_cmd, ".")
	c := parts[count(parts) - 1]
} else := sprintf("job-%v", [job.id])

deny contains f if {
	some id, job in object.get(input.db, "async_job", {})
	job.job_status == 0
	job.removed == null
	ms := owner(job)
	ms != null
	not lib.ms_alive(ms)
	m := object.get(lib.ms_by_msid, lib.key(ms), {"name": "unknown", "state": "absent"})
	f := {
		"resource": {"type": "async_job", "id": id, "uuid": job.uuid, "name": short_cmd(job)},
		"message": sprintf("job %v has been pending since %v on management server %v (%v)", [id, job.created, m.name, m.state]),
		"evidence": {"msid": ms, "ms_state": m.state, "created": job.created, "instance_type": job.instance_type, "instance_id": job.instance_id},
		"args": {"msid": ms},
	}
}
