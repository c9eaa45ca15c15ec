# METADATA
# title: Agent certificate expired or expiring
# description: >-
#   The KVM agent's CloudStack-issued certificate expires within param
#   agent_cert_min_days (30) or has expired. CloudStack renews agent certificates itself
#   when ca.framework.cert.automatic.renewal (default true) works; an expired certificate makes
#   the agent's TLS connection (and libvirt TLS migration) fail as soon as
#   ca.plugin.root.allow.expired.cert is false or strictness is on. Medium when expiring
#   (an outage is scheduled), high when already expired (the host may drop at any
#   reconnect).
# custom:
#   id: CSA-HOST-010
#   severity: high
#   category: hosts
#   remediation:
#     summary: Re-provision the host's certificate from the CloudStack CA.
#     commands:
#       - kind: cmk
#         text: cmk provision certificate hostid={uuid}
#       - kind: shell
#         text: keytool -list -v -keystore /etc/cloudstack/agent/cloud.jks | grep -i until
#   references:
#     - cloudstack:CA framework (RootCAProvider, provisionCertificate)
#     - cloudstack:setting ca.plugin.root.allow.expired.cert
#   controls: [encryption, availability]
#   requires: [hosts.agent_cert, db.host]
package csaudit.checks.host.agent_cert

import data.csaudit.lib

day_ns := ((24 * 3600) * 1000) * 1000000

deny contains f if {
	some id, h in lib.routing_hosts
	c := input.hosts[h.uuid].agent_cert
	c.not_after != null
	left_days := (time.parse_rfc3339_ns(c.not_after) - lib.db_now_ns) / day_ns
	left_days < lib.params.agent_cert_min_days
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(left_days),
		"message": sprintf("agent certificate of %s %s (not after %s)", [h.name, phrase(left_days), c.not_after]),
		"evidence": {"not_after": c.not_after, "days_left": floor(left_days), "subject": object.get(c, "subject", null)},
	}
}

severity(d) := "high" if d <= 0

else := "medium"

phrase(d) := "has expired" if d <= 0

else := sprintf("expires in %d days", [floor(d)])
