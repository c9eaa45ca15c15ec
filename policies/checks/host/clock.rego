# METADATA
# title: Host clock not synchronized or skewed
# description: >-
#   A KVM host's clock is not synchronized (chrony/timesyncd) or is off from the database
#   clock by more than param clock_skew_max_ms (1000 ms). Skew breaks TLS certificate
#   validity checks between agent and management server, makes log correlation across
#   hosts (the seeds' first debugging step) unreliable, and confuses storage heartbeat
#   timestamps. Low per the rubric (hygiene); medium above one minute, where certificate
#   and heartbeat checks start to fail.
# custom:
#   id: CSA-HOST-009
#   severity: medium
#   category: hosts
#   remediation:
#     summary: Enable and fix NTP (chrony) on the host against the same sources as the management servers and database.
#     commands:
#       - kind: shell
#         text: chronyc tracking; timedatectl
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (correlating timestamps between management server and system VMs)
#     - seed:002_87316531120da61b.txt (heartbeats)
#   controls: [operations, logging]
#   requires: [hosts.clock, db.host]
package csaudit.checks.host.clock

import data.csaudit.lib

deny contains f if {
	some id, h in lib.routing_hosts
	c := input.hosts[h.uuid].clock
	problem(c)
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(c),
		"message": sprintf("clock on %s is off by %v ms (synchronized: %v)", [h.name, c.offset_ms, object.get(c, "synchronized", null)]),
		"evidence": {"offset_ms": c.offset_ms, "synchronized": object.get(c, "synchronized", null)},
	}
}

problem(c) if c.synchronized == false

problem(c) if abs(c.offset_ms) > lib.params.clock_skew_max_ms

severity(c) := "medium" if abs(c.offset_ms) > 60000

else := "low"
