# METADATA
# title: Host-HA host without working out-of-band management
# description: >-
#   The host is under Host-HA (ha_config enabled for the host, or cluster_details
#   resourceHAEnabled=true for its cluster) but has no working OOBM: no oobm row, the row
#   is disabled, its power state is not On/Off, or csaudit found the BMC unreachable, not
#   answering IPMI, or rejecting the credentials. Host-HA recovers and fences a host through OOBM; without it
#   the framework cannot fence, so HA is silently broken: high per the rubric. (VM-HA
#   alone, where a cluster merely runs HA-enabled VMs, is CSA-OOBM-009 at medium.)
# custom:
#   id: CSA-OOBM-008
#   severity: high
#   category: oobm
#   remediation:
#     summary: "Configure and enable out-of-band management for the host, or disable Host-HA for it until OOBM works."
#     commands:
#       - kind: cmk
#         text: "cmk list hosts id={uuid} filter=name,outofbandmanagement,hostha"
#       - kind: cmk
#         text: "cmk configure outofbandmanagement hostid={uuid} driver=ipmitool address=<bmc-address> port=623 username=<user> password=<password>"
#       - kind: cmk
#         text: "cmk enable outofbandmanagementforhost hostid={uuid}"
#       - kind: cmk
#         text: "cmk issue outofbandmanagementpoweraction hostid={uuid} action=STATUS"
#       - kind: cmk
#         text: "cmk disable haforhost hostid={uuid}"
#   references:
#     - seed:002_87316531120da61b.txt (Implement Out-of-Band Management; fencing via IPMI)
#     - cloudstack:states.md (Host HA framework, ha_config.ha_state)
#   controls: [availability, ha]
#   requires: [db.host, db.oobm, db.ha_config, db.cluster_details]
package csaudit.checks.oobm.host_ha_without_oobm

import data.csaudit.checks.oobm.index
import data.csaudit.lib

reason(hid) := "no oobm row" if {
	not index.by_host[hid]
} else := "out-of-band management is disabled" if {
	not index.enabled(hid)
} else := sprintf("BMC %s is unreachable", [index.fact_by_host[hid].address]) if {
	index.fact_by_host[hid].reachable == false
} else := sprintf("BMC %s answers the presence ping but not IPMI", [index.fact_by_host[hid].address]) if {
	index.fact_by_host[hid].ipmi_answering == false
} else := "the BMC rejected the credentials" if {
	index.fact_by_host[hid].auth == "failed"
} else := sprintf("power state is %v", [index.by_host[hid].power_state])

deny contains f if {
	some hid, h in lib.routing_hosts
	index.host_ha(hid)
	not index.working(hid)
	why := reason(hid)
	f := {
		"resource": lib.host_resource(hid, h),
		"message": sprintf("host %s is under Host-HA but has no working out-of-band management: %s", [h.name, why]),
		"evidence": {
			"reason": why, "cluster_id": h.cluster_id,
			"ha_config": hid in index.ha_config_hosts,
			"cluster_ha": lib.key(h.cluster_id) in index.ha_clusters,
		},
	}
}
