# METADATA
# title: BMC rejects the credentials or the IPMI session fails
# description: >-
#   With sessions enabled (ipmi.sessions), csaudit's single RMCP+ login to the BMC was
#   rejected (wrong user name or password), so CloudStack's driver, using the same stored
#   credentials, gets AuthError and sets the power state to Unknown (states.md). High for a
#   Host-HA host, medium otherwise. A session that failed for another reason (cipher suite
#   not accepted, no answer during setup) is reported as low: the BMC answers, but the
#   audit could not confirm that the credentials work. csaudit logs in at most once per
#   BMC per run and stops after three rejections of the same credentials, so the audit
#   itself never locks an account.
# custom:
#   id: CSA-OOBM-002
#   severity: high
#   category: oobm
#   remediation:
#     summary: "Set the BMC credentials CloudStack stores to an account that exists on the BMC, with at least operator privilege, then check CloudStack reads the power state."
#     commands:
#       - kind: cmk
#         text: "cmk list hosts id={uuid} filter=name,outofbandmanagement"
#       - kind: cmk
#         text: "cmk configure outofbandmanagement hostid={uuid} driver=ipmitool address=<bmc-address> port=623 username=<user> password=<password>"
#       - kind: cmk
#         text: "cmk issue outofbandmanagementpoweraction hostid={uuid} action=STATUS"
#   references:
#     - seed:002_87316531120da61b.txt (Implement Out-of-Band Management; IPMI address, username and password)
#     - cloudstack:states.md (oobm PowerState.Event AuthError -> Unknown)
#   controls: [availability, ha, access-control]
#   requires: [oobm.auth]
package csaudit.checks.oobm.auth_failure

import data.csaudit.checks.oobm.index

deny contains f if {
	some key, b in input.oobm
	b.auth == "failed"
	f := finding(key, b, index.ha_severity(b.host_id), "rejected the credentials")
}

deny contains f if {
	some key, b in input.oobm
	b.auth == "error"
	f := finding(key, b, "low", "did not complete an IPMI session")
}

finding(key, b, severity, what) := {
	"resource": index.fact_resource(key, b),
	"severity": severity,
	"message": sprintf("BMC %s of host %s %s: %s", [b.address, object.get(b, "host_name", key), what, object.get(b, "auth_detail", "")]),
	"evidence": {
		"address": b.address, "auth": b.auth, "auth_detail": object.get(b, "auth_detail", ""),
		"credentials": object.get(b, "credentials", ""), "cipher_suite": object.get(b, "cipher_suite", null),
		"host_ha": index.is_host_ha(b.host_id),
	},
}
