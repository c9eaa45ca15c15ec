# METADATA
# title: Agent certificate expired, or expiring without working renewal
# description: >-
#   The KVM agent's CloudStack-issued certificate (hosts.agent_cert). CloudStack's CA
#   background task (CAManagerImpl.CABackgroundTask, every ca.framework.background.task.delay
#   seconds) renews a certificate of an Up host it manages once it is inside
#   ca.framework.cert.expiry.alert.period days (15) of expiry when
#   ca.framework.cert.automatic.renewal (Cluster scope, default true) is on, and only alerts
#   otherwise. So with renewal on, a certificate inside the window is no finding until
#   renewal has visibly failed: an unarchived "Certificate auto-renewal failed" alert names
#   the host, the host is not Up (the task skips it), or the certificate has stayed inside
#   the window for more than two task runs plus a day (medium). With renewal off, a
#   certificate expiring within the larger of param agent_cert_min_days (30) and the alert
#   period is medium. An expired certificate is judged with ca.plugin.root.allow.expired.cert:
#   false makes the management server refuse the agent's TLS handshake
#   (RootCACustomTrustManager), so the host drops at its next reconnect (high); true keeps
#   the agent connected but libvirt TLS between hosts still checks expiry (medium).
# custom:
#   id: CSA-HOST-010
#   severity: high
#   category: hosts
#   remediation:
#     summary: >-
#       Read the certificate's dates on the host and the management server's CA alerts; once
#       the host is Up and reachable, provision a new certificate from the CloudStack CA (it
#       restarts the agent's connection), then check the new expiry date.
#     steps:
#       - Diagnose - read the certificate's validity on the host and list CloudStack's alerts about certificates.
#       - Verify - the host is Up and owned by a live management server, so the new certificate can be pushed.
#       - Act - provision the certificate for the host, then read its validity again.
#     commands:
#       - kind: shell
#         text: openssl x509 -in /etc/cloudstack/agent/cloud.crt -noout -subject -enddate
#       - kind: cmk
#         text: cmk list alerts keyword=certificate
#       - kind: cmk
#         text: cmk list hosts id={uuid} filter=name,state,managementserverid
#       - kind: cmk
#         text: cmk provision certificate hostid={uuid}
#   references:
#     - cloudstack:server/src/main/java/org/apache/cloudstack/ca/CAManagerImpl.java (CABackgroundTask)
#     - cloudstack:plugins/ca/root-ca/src/main/java/org/apache/cloudstack/ca/provider/RootCACustomTrustManager.java
#     - cloudstack:setting ca.framework.cert.automatic.renewal, ca.framework.cert.expiry.alert.period, ca.plugin.root.allow.expired.cert
#   controls: [encryption, availability]
#   requires: [hosts.agent_cert, db.host, db.alert, settings]
package csaudit.checks.host.agent_cert

import data.csaudit.lib

day_ns := ((24 * 3600) * 1000) * 1000000

scope(h) := {"cluster": h.cluster_id, "zone": h.data_center_id} if {
	h.cluster_id
} else := {}

# A setting for the host's scope; CloudStack's default (settings.tsv) when the
# snapshot has no such setting at all.
value(name, h, dflt) := v if {
	input.settings[name]
	v := lib.effective_setting(name, scope(h))
	v != null
} else := dflt

renewal_on(h) if lower(sprintf("%v", [value("ca.framework.cert.automatic.renewal", h, "true")])) == "true"

window_days(h) := to_number(value("ca.framework.cert.expiry.alert.period", h, "15"))

task_delay_days := to_number(value("ca.framework.background.task.delay", {}, "3600")) / 86400

allow_expired if lower(sprintf("%v", [value("ca.plugin.root.allow.expired.cert", {}, "true")])) == "true"

# Unarchived alerts in which CloudStack says renewal failed for the host (the
# subject names the host's uuid).
renewal_failed_alert(h) if {
	some a in object.get(input.db, "alert", {})
	contains(a.subject, "auto-renewal failed")
	contains(a.subject, h.uuid)
}

certs := {id: [h, c, left] |
	some id, h in lib.routing_hosts
	c := input.hosts[h.uuid].agent_cert
	c.not_after != null
	left := (time.parse_rfc3339_ns(c.not_after) - lib.db_now_ns) / day_ns
}

# problem(h, left) := [severity, why]
problem(h, left) := ["high", "has expired and ca.plugin.root.allow.expired.cert is false: the management server refuses it at the next reconnect"] if {
	left <= 0
	not allow_expired
} else := ["medium", "has expired; the management server still accepts it (ca.plugin.root.allow.expired.cert is true), libvirt TLS does not"] if {
	left <= 0
} else := ["medium", sprintf("expires in %d days and automatic renewal is off", [floor(left)])] if {
	not renewal_on(h)
	left < max([lib.params.agent_cert_min_days, window_days(h)])
} else := ["medium", sprintf("expires in %d days and CloudStack raised an auto-renewal failure alert", [floor(left)])] if {
	left < window_days(h)
	renewal_failed_alert(h)
} else := ["medium", sprintf("expires in %d days and the host is %s, so CloudStack cannot renew it", [floor(left), h.status])] if {
	left < window_days(h)
	h.status != "Up"
} else := ["medium", sprintf("expires in %d days, %d days inside the renewal window, and has not been renewed", [floor(left), floor(window_days(h) - left)])] if {
	left < window_days(h)
	window_days(h) - left > (2 * task_delay_days) + 1
}

deny contains f if {
	some id, [h, c, left] in certs
	[sev, why] := problem(h, left)
	f := {
		"resource": lib.host_resource(id, h),
		"severity": sev,
		"message": sprintf("agent certificate of %s %s (not after %s)", [h.name, why, c.not_after]),
		"evidence": {
			"not_after": c.not_after, "days_left": floor(left), "subject": object.get(c, "subject", null),
			"automatic_renewal": renewal_on_value(h), "renewal_window_days": window_days(h),
		},
	}
}

renewal_on_value(h) if {
	renewal_on(h)
} else := false
