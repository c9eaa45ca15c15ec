# METADATA
# title: BMC allows anonymous or unauthenticated IPMI access, or weak authentication
# description: >-
#   From the BMC's unauthenticated Get Channel Authentication Capabilities answer (IPMI
#   v2.0 section 22.13) and, when sessions are on, an RMCP+ Open Session probe. Critical
#   per the rubric (unauthenticated IPMI reachable; the BMC answered, so it is reachable at
#   least from the auditor): anonymous login (a user with an empty name and an empty
#   password), authentication type NONE, or cipher suite 0 accepted (no authentication: a
#   known user name logs in with any password): fact cipher_suite_zero, from an RMCP+
#   Open Session Request offering only suite 0 (no user name, no RAKP message). The ipmi
#   collector does not record that fact yet (docs/ipmi.md says why); without it suite 0 is
#   not judged. Medium (a hardening
#   deviation with a real attack path): "null user names" enabled, which means accounts
#   with an empty name but a password, not anonymous access (whoever learns that password
#   needs no user name, and RMCP+ hands out a salted hash of it for offline cracking); and
#   IPMI 1.5 "straight password" authentication, which sends the password in clear text.
# custom:
#   id: CSA-OOBM-003
#   severity: critical
#   category: oobm
#   remediation:
#     summary: >-
#       On the BMC's LAN channel, remove empty-name users, allow only RMCP+ (IPMI 2.0) with
#       cipher suite 3 or 17, and drop cipher suite 0 and the IPMI 1.5 authentication types;
#       keep the BMCs on an isolated network. Check which user id has the empty name before
#       disabling it, and that another administrator account works.
#     steps:
#       - Diagnose - on the host (in-band) list the channel's authentication types, cipher suites and users.
#       - Verify - note the id of each user with an empty name and confirm a named administrator account logs in over lanplus with cipher suite 3 or 17.
#       - Act - disable the empty-name users, set the privilege of cipher suite 0 to X (unused) with ipmitool lan set <channel> cipher_privs, and turn off the IPMI 1.5 authentication types in the BMC's settings.
#     commands:
#       - kind: shell
#         text: ipmitool lan print 1; ipmitool user list 1
#       - kind: shell
#         text: ipmitool user disable <id-of-the-empty-name-user>
#   references:
#     - seed:002_87316531120da61b.txt (Security Hardening; IPMI network unreachable from the public internet)
#     - ipmi:IPMI v2.0 section 22.13 Get Channel Authentication Capabilities
#     - ipmi:IPMI v2.0 section 13.28 cipher suite 0 (no authentication, integrity or confidentiality)
#   controls: [access-control, hardening]
#   requires: [oobm.auth_capabilities]
package csaudit.checks.oobm.insecure_auth

import data.csaudit.checks.oobm.index

critical_flags := {"anonymous_login": "anonymous login (empty user name and password)", "none_auth": "authentication type NONE", "cipher_suite_zero": "cipher suite 0 (no authentication)"}

medium_flags := {"null_user": "users with an empty name and a password", "straight_password": "IPMI 1.5 straight-password authentication (password in clear text)"}

# The flags a BMC's facts raise; straight_password is derived from the auth types.
raised(b) := ({k | some k in object.keys(critical_flags); b[k] == true} | {"null_user" | b.null_user == true}) | {"straight_password" |
	"password" in object.get(b, "auth_types", [])
}

deny contains f if {
	some key, b in input.oobm
	r := raised(b)
	count(r) > 0
	found := sort([desc | some k in r; desc := object.union(critical_flags, medium_flags)[k]])
	f := {
		"resource": index.fact_resource(key, b),
		"severity": severity(r),
		"message": sprintf("BMC %s of host %s allows %s", [b.address, object.get(b, "host_name", key), concat(", ", found)]),
		"evidence": {
			"address": b.address,
			"anonymous_login": object.get(b, "anonymous_login", null),
			"null_user": object.get(b, "null_user", null),
			"none_auth": object.get(b, "none_auth", null),
			"cipher_suite_zero": object.get(b, "cipher_suite_zero", null),
			"auth_types": object.get(b, "auth_types", []),
		},
	}
}

severity(r) := "critical" if {
	some k in r
	critical_flags[k]
} else := "medium"
