# METADATA
# title: BMC does not answer on the IPMI port
# description: >-
#   The host's BMC answered neither an RMCP/ASF presence ping nor an unauthenticated Get
#   Channel Authentication Capabilities within the collector timeout (or its UDP port is
#   closed), or it answered only the presence ping: its network stack is up but its IPMI
#   service is not (hung BMC firmware, or another device on the BMC's address). Either way
#   CloudStack's ipmitool driver cannot read the power state or fence the host through it,
#   and csaudit does not try a login. Seed 002 names out-of-band fencing through IPMI (UDP 623) as what keeps a
#   failed host from running a VM twice. High for a Host-HA host (fencing is silently
#   broken), medium otherwise. The probe runs from the auditor: confirm from the
#   management server before acting, since the BMC network may be reachable only from
#   there.
# custom:
#   id: CSA-OOBM-001
#   severity: high
#   category: oobm
#   remediation:
#     summary: "Restore the BMC's network path from the management servers (UDP 623) or fix its address in CloudStack."
#     steps:
#       - "From a management server, run ipmitool against the BMC address CloudStack stores (the password from the environment, not the command line)."
#       - "Check the BMC's LAN channel is enabled and the IPMI VLAN routes to the management servers."
#     commands:
#       - kind: cmk
#         text: "cmk list hosts id={uuid} filter=name,outofbandmanagement"
#       - kind: shell
#         text: "IPMI_PASSWORD=<password> ipmitool -I lanplus -C 3 -H {bmc} -U <user> -E chassis power status"
#   references:
#     - seed:002_87316531120da61b.txt (Out-of-band (IPMI) 623 UDP/IPMI 2.0; fencing via IPMI)
#     - cloudstack:states.md (oobm PowerState)
#   controls: [availability, ha]
#   requires: [oobm.reachability]
package csaudit.checks.oobm.bmc_unreachable

import data.csaudit.checks.oobm.index

deny contains f if {
	some key, b in input.oobm
	b.reachable == false
	f := finding(key, b, "is unreachable")
}

deny contains f if {
	some key, b in input.oobm
	b.reachable == true
	b.ipmi_answering == false
	f := finding(key, b, "answers the network but not IPMI")
}

finding(key, b, what) := {
	"resource": index.fact_resource(key, b),
	"severity": index.ha_severity(b.host_id),
	"message": sprintf("BMC %s of host %s %s: %s", [b.address, object.get(b, "host_name", key), what, object.get(b, "reach_detail", "no answer")]),
	"args": {"bmc": b.address},
	"evidence": {
		"address": b.address, "reach_detail": object.get(b, "reach_detail", ""),
		"presence_pong": object.get(b, "presence_pong", null),
		"ipmi_answering": object.get(b, "ipmi_answering", null),
		"host_ha": index.is_host_ha(b.host_id),
	},
}
