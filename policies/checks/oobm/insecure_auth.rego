# METADATA
# title: BMC allows anonymous, null-user or unauthenticated IPMI access
# description: >-
#   The BMC's unauthenticated Get Channel Authentication Capabilities answer announces
#   anonymous login (null user name and password), null user names, or authentication type
#   "none". Anyone who reaches the IPMI port can then control the host's power, the very
#   path CloudStack uses for fencing. Critical per the rubric (unauthenticated IPMI
#   reachable): the BMC answered, so it is reachable at least from the auditor. A BMC
#   that only offers IPMI 1.5 "straight password" authentication besides is reported as
#   medium: the password crosses the IPMI network in clear text.
# custom:
#   id: CSA-OOBM-003
#   severity: critical
#   category: oobm
#   remediation:
#     summary: Disable the anonymous and null users and auth type NONE on the BMC's LAN channel.
#     steps:
#       - Disable user 1 (the null user) and remove any user with an empty name.
#       - Allow only MD5 (IPMI 1.5) or, better, RMCP+ with a cipher suite of 3 or 17 at every privilege level.
#     commands:
#       - kind: shell
#         text: ipmitool lan print 1 | grep -i 'auth type'; ipmitool user list 1
#       - kind: shell
#         text: ipmitool user disable 1; ipmitool lan set 1 auth ADMIN MD5
#   references:
#     - seed:002_87316531120da61b.txt (Security Hardening; IPMI network unreachable from the public internet)
#     - ipmi:IPMI v2.0 section 22.13 Get Channel Authentication Capabilities
#   controls: [access-control, hardening]
#   requires: [oobm.auth_capabilities]
package csaudit.checks.oobm.insecure_auth

import data.csaudit.checks.oobm.index

flags := {"anonymous_login": "anonymous login", "null_user": "null user names", "none_auth": "auth type none"}

deny contains f if {
	some key, b in input.oobm
	found := sort([desc | some k, desc in flags; b[k] == true])
	count(found) > 0
	f := {
		"resource": index.fact_resource(key, b),
		"severity": "critical",
		"message": sprintf("BMC %s of host %s allows %s", [b.address, object.get(b, "host_name", key), concat(", ", found)]),
		"evidence": {
			"address": b.address,
			"anonymous_login": object.get(b, "anonymous_login", null),
			"null_user": object.get(b, "null_user", null),
			"none_auth": object.get(b, "none_auth", null),
			"auth_types": object.get(b, "auth_types", []),
		},
	}
}

deny contains f if {
	some key, b in input.oobm
	not unauthenticated(b)
	"password" in object.get(b, "auth_types", [])
	f := {
		"resource": index.fact_resource(key, b),
		"severity": "medium",
		"message": sprintf("BMC %s of host %s offers IPMI 1.5 straight-password authentication (password sent in clear text)", [b.address, object.get(b, "host_name", key)]),
		"evidence": {"address": b.address, "auth_types": b.auth_types},
	}
}

unauthenticated(b) if {
	some k, _ in flags
	b[k] == true
}
