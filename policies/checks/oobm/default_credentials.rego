# METADATA
# title: BMC credentials are a vendor default
# description: >-
#   The credentials csaudit holds for this BMC (the configured ones, or CloudStack's stored
#   oobm credentials decrypted with the opt-in use_cloudstack_credentials) equal a known
#   factory default pair such as root/calvin or ADMIN/ADMIN. The comparison is offline:
#   csaudit never tries default credentials on a BMC. Critical when the BMC accepted them
#   in csaudit's session (anyone can log in: effectively unauthenticated IPMI), high
#   otherwise.
# custom:
#   id: CSA-OOBM-010
#   severity: critical
#   category: oobm
#   remediation:
#     summary: Change the BMC password (and ideally the user), then store the new credentials in CloudStack.
#     commands:
#       - kind: shell
#         text: ipmitool -I lanplus -C 3 -H <bmc-address> -U <user> -P <password> user set password <user-id>
#       - kind: cmk
#         text: cmk configure outofbandmanagement hostid={uuid} driver=ipmitool address=<bmc-address> port=623 username=<user> password=<new-password>
#   references:
#     - seed:002_87316531120da61b.txt (Security Hardening)
#   controls: [access-control, hardening]
#   requires: [oobm.default_credentials]
package csaudit.checks.oobm.default_credentials

import data.csaudit.checks.oobm.index

severity(b) := "critical" if {
	b.auth == "ok"
} else := "high"

deny contains f if {
	some key, b in input.oobm
	b.default_credentials == true
	f := {
		"resource": index.fact_resource(key, b),
		"severity": severity(b),
		"message": sprintf("BMC %s of host %s uses the %s default credentials", [b.address, object.get(b, "host_name", key), object.get(b, "default_credentials_vendor", "vendor")]),
		"evidence": {
			"vendor": object.get(b, "default_credentials_vendor", ""),
			"credentials": object.get(b, "credentials", ""), "auth": object.get(b, "auth", ""),
		},
	}
}
