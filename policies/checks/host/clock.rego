# METADATA
# title: Host clock not synchronized or skewed
# description: >-
#   A KVM host's clock is not synchronized (chrony/timesyncd) or is off from the database
#   clock by more than param clock_skew_max_ms (1000 ms) beyond the measurement's
#   uncertainty (half the SSH round trip plus half the database clock read's). The offset
#   is the host's against the auditor's clock minus the database's against the auditor's;
#   when the database clock could not be read, hosts.clock fails for the host and the
#   check reports error instead of judging skew. Skew breaks TLS certificate
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
	facts := input.hosts[h.uuid]
	c := facts.clock
	m := margin(facts)
	problem(c, m)
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(c),
		"message": sprintf("clock on %s is off from the database's by %v ms (±%v ms; synchronized: %v)", [h.name, c.offset_ms, m, object.get(c, "synchronized", null)]),
		"evidence": {
			"offset_ms": c.offset_ms, "uncertainty_ms": m, "reference": object.get(c, "reference", null),
			"synchronized": object.get(c, "synchronized", null),
		},
	}
}

# The measurement's uncertainty: half the SSH round trip plus half the
# database clock read's.
margin(facts) := (object.get(facts, ["ssh", "rtt_ms"], 0) / 2) + object.get(input, ["meta", "database", "clock_uncertainty_ms"], 0)

problem(c, _) if c.synchronized == false

# Skew is judged only against the database's clock (snapshots before the
# reference field measured against the auditor's and are read as before).
problem(c, m) if {
	object.get(c, "reference", "database") == "database"
	abs(c.offset_ms) - m > lib.params.clock_skew_max_ms
}

severity(c) := "medium" if abs(c.offset_ms) > 60000

else := "low"
