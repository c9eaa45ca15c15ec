# METADATA
# title: CloudStack cannot read the host's power state through OOBM
# description: >-
#   Out-of-band management is enabled for the host but oobm.power_state is Unknown: the
#   management server's own sync through the driver fails (an AuthError event also ends in
#   Unknown, states.md). CloudStack cannot fence or power-cycle the host. High for a
#   Host-HA host (HA/fencing silently broken), medium otherwise.
# custom:
#   id: CSA-OOBM-005
#   severity: high
#   category: oobm
#   remediation:
#     summary: Fix the BMC address, credentials or network path so that CloudStack's sync reads On or Off again.
#     commands:
#       - kind: cmk
#         text: cmk list hosts id={uuid} filter=name,outofbandmanagement
#       - kind: cmk
#         text: cmk issue outofbandmanagementpoweraction hostid={uuid} action=STATUS
#   references:
#     - cloudstack:states.md (oobm PowerState Unknown after Unknown or AuthError events)
#     - seed:002_87316531120da61b.txt (fencing via IPMI)
#   controls: [availability, ha]
#   requires: [db.oobm, db.host]
package csaudit.checks.oobm.power_unknown

import data.csaudit.checks.oobm.index
import data.csaudit.lib

deny contains f if {
	some hid, h in lib.routing_hosts
	index.enabled(hid)
	row := index.by_host[hid]
	row.power_state == "Unknown"
	f := {
		"resource": lib.host_resource(hid, h),
		"severity": index.ha_severity(hid),
		"message": sprintf("out-of-band management of host %s is enabled but its power state is Unknown", [h.name]),
		"evidence": {
			"power_state": row.power_state, "driver": row.driver, "update_time": row.update_time,
			"host_ha": index.is_host_ha(hid),
		},
	}
}
