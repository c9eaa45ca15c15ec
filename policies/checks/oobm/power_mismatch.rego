# METADATA
# title: BMC power state differs from CloudStack's record
# description: >-
#   The chassis power state read from the BMC in csaudit's session differs from
#   oobm.power_state (On/Off) in CloudStack's database. CloudStack's background sync
#   (every outofbandmanagement.background.task.execution.interval seconds) writes the row
#   only on a state change, so a difference means the sync is not reaching this BMC, or
#   someone switched the host outside CloudStack moments ago. Medium per the rubric
#   (DB/hypervisor drift). Rows in Unknown or Disabled are left to CSA-OOBM-005.
# custom:
#   id: CSA-OOBM-004
#   severity: medium
#   category: oobm
#   remediation:
#     summary: Find out which side is right, then let CloudStack re-read the power state.
#     commands:
#       - kind: cmk
#         text: cmk issue outofbandmanagementpoweraction hostid={uuid} action=STATUS
#       - kind: shell
#         text: grep -i 'out-of-band' /var/log/cloudstack/management/management-server.log | tail -n 50
#   references:
#     - cloudstack:states.md (oobm PowerState)
#     - cloudstack:settings.tsv outofbandmanagement.background.task.execution.interval
#   controls: [availability, drift]
#   requires: [oobm.power, db.oobm]
package csaudit.checks.oobm.power_mismatch

import data.csaudit.checks.oobm.index

deny contains f if {
	some key, b in input.oobm
	b.power in {"on", "off"}
	row := index.by_host[b.host_id]
	row.power_state in {"On", "Off"}
	lower(row.power_state) != b.power
	f := {
		"resource": index.fact_resource(key, b),
		"message": sprintf("BMC of host %s reports power %s, CloudStack records %s", [object.get(b, "host_name", key), b.power, row.power_state]),
		"evidence": {"bmc_power": b.power, "db_power_state": row.power_state, "db_update_time": row.update_time},
	}
}
