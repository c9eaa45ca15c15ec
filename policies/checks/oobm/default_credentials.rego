# METADATA
# title: BMC credentials are a vendor default
# description: >-
#   The credentials are a known factory default pair such as root/calvin or ADMIN/ADMIN,
#   compared offline: csaudit never tries default credentials on a BMC. Two cases. CloudStack
#   stores the vendor default for the host (its oobm credentials, decrypted with the opt-in
#   use_cloudstack_credentials): reported whatever the login gave, critical when the BMC
#   accepted them in csaudit's session (anyone can log in: effectively unauthenticated IPMI),
#   medium when the BMC rejected them (nothing is exposed, but CloudStack's out-of-band
#   management cannot work, see CSA-OOBM-002), high when no session was tried. The
#   credentials come from csaudit's own config: reported only when the BMC accepted them,
#   since only then does the BMC use the vendor default.
# custom:
#   id: CSA-OOBM-010
#   severity: critical
#   category: oobm
#   remediation:
#     summary: "Change the BMC password through CloudStack (changeOutOfBandManagementPassword sets it on the BMC and stores it), then replace the default user name on the BMC too."
#     commands:
#       - kind: cmk
#         text: "cmk list hosts id={uuid} filter=name,outofbandmanagement"
#       - kind: cmk
#         text: "cmk change outofbandmanagementpassword hostid={uuid} password=<new-password>"
#       - kind: shell
#         text: "IPMI_PASSWORD=<new-password> ipmitool -I lanplus -C 3 -H <bmc-address> -U <user> -E user list 1"
#   references:
#     - seed:002_87316531120da61b.txt (Security Hardening)
#   controls: [access-control, hardening]
#   requires: [oobm.default_credentials]
package csaudit.checks.oobm.default_credentials

import data.csaudit.checks.oobm.index

vendor(b) := object.get(b, "default_credentials_vendor", "vendor")

evidence(b) := {
	"vendor": object.get(b, "default_credentials_vendor", ""),
	"credentials": object.get(b, "credentials", ""), "auth": object.get(b, "auth", ""),
}

stored_severity(b) := "critical" if {
	b.auth == "ok"
} else := "medium" if {
	b.auth == "failed"
} else := "high"

deny contains f if {
	some key, b in input.oobm
	b.default_credentials == true
	b.credentials == "cloudstack"
	f := {
		"resource": index.fact_resource(key, b),
		"severity": stored_severity(b),
		"message": sprintf("CloudStack stores the %s default credentials for BMC %s of host %s (%s)", [vendor(b), b.address, object.get(b, "host_name", key), accepted(b)]),
		"evidence": evidence(b),
	}
}

deny contains f if {
	some key, b in input.oobm
	b.default_credentials == true
	object.get(b, "credentials", "") != "cloudstack"
	b.auth == "ok"
	f := {
		"resource": index.fact_resource(key, b),
		"severity": "critical",
		"message": sprintf("BMC %s of host %s accepts the %s default credentials", [b.address, object.get(b, "host_name", key), vendor(b)]),
		"evidence": evidence(b),
	}
}

accepted(b) := "the BMC accepts them" if {
	b.auth == "ok"
} else := "the BMC rejected them" if {
	b.auth == "failed"
} else := "no login was tried"
