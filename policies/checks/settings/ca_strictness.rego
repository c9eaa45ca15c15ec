# METADATA
# title: CA client-certificate strictness is off
# description: >-
#   ca.plugin.root.auth.strictness is false: the management server accepts agent
#   connections on port 8250 without a client certificate issued by its CA, so anything
#   that reaches 8250 can pose as an agent. The ConfigKey default is false but
#   server-setup.sql seeds true for new installs (cloudstack/README.md); false usually
#   comes from an upgraded cloud. Medium per the rubric: a hardening deviation with a real
#   attack path. Turning it on disconnects every agent without a valid CloudStack
#   certificate, so the finding lists the KVM hosts whose certificate is missing or
#   expired; provision those first.
# custom:
#   id: CSA-SET-005
#   severity: medium
#   category: settings
#   remediation:
#     summary: "Provision CloudStack certificates to every KVM host (provisionCertificate) and check they are valid, then set ca.plugin.root.auth.strictness=true (dynamic: no restart)."
#     steps:
#       - "Run provisionCertificate for each host listed in the evidence as lacking a valid certificate."
#       - "Check each host's agent reconnected with its certificate (state Up)."
#       - "Only when none is left, set the setting to true."
#     commands:
#       - kind: cmk
#         text: "cmk provision certificate hostid=<host-uuid>"
#       - kind: cmk
#         text: "cmk list hosts type=Routing filter=name,state"
#       - kind: cmk
#         text: "cmk update configuration name=ca.plugin.root.auth.strictness value=true"
#   references:
#     - cloudstack:setting ca.plugin.root.auth.strictness (RootCAProvider)
#     - cloudstack:setup/db/server-setup.sql (seeds true)
#   controls: [authentication, encryption]
#   requires: [settings]
package csaudit.checks.settings.ca_strictness

import data.csaudit.lib

name := "ca.plugin.root.auth.strictness"

# KVM hosts whose collected certificate is missing or expired (hosts not collected
# are not listed: unknown, not invalid).
invalid_cert_hosts := sort([h.name |
	some h in lib.routing_hosts
	h.hypervisor_type == "KVM"
	facts := input.hosts[h.uuid]
	not valid(facts)
	facts.agent_cert
])

valid(facts) if {
	facts.agent_cert.not_after != null
	time.parse_rfc3339_ns(facts.agent_cert.not_after) > lib.db_now_ns
}

deny contains f if {
	not lib.setting_true(name)
	f := {
		"resource": lib.setting_resource(name),
		"message": sprintf("%s is false: agents connect without a CA-issued client certificate (%d KVM hosts lack a valid certificate)", [name, count(invalid_cert_hosts)]),
		"evidence": {"value": lib.setting(name), "hosts_without_valid_certificate": invalid_cert_hosts},
	}
}
