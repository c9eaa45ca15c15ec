# METADATA
# title: Console proxy without TLS, or its certificate missing, mismatched or expired
# description: >-
#   For each zone with a live console proxy: consoleproxy.sslEnabled (Zone scope, default
#   false) off means browsers reach the console proxy over plain HTTP/WebSocket on 8080, so
#   the console session (the keystrokes typed into a VM's console, and the access token in
#   its URL) crosses the network in clear: medium (a hardening deviation with a real attack
#   path). With it on, CloudStack needs the CPVMCertificate uploaded
#   (uploadCustomCertificate, keystore table) and consoleproxy.url.domain set: without the
#   certificate it falls back to port 8080 (ConsoleProxyManagerImpl.getVncPort), without
#   the domain browsers connect to an address the certificate cannot name (medium either
#   way); an expired certificate makes browsers refuse every console (medium); one expiring
#   within param agent_cert_min_days is low. Filed against the zone when a zone override
#   holds the setting, else against the setting. Both settings are not dynamic: the
#   management servers must be restarted and the console proxies recreated.
# custom:
#   id: CSA-SYSVM-006
#   severity: medium
#   category: system-vms
#   remediation:
#     summary: >-
#       Read the zone's console proxy settings and the uploaded certificate; upload a
#       certificate (with its chain) for a wildcard domain the proxies' public addresses
#       resolve under, set consoleproxy.url.domain to it, and only then turn
#       consoleproxy.sslEnabled on; restart the management servers (the settings are not
#       dynamic) and let the console proxies be recreated.
#     steps:
#       - Diagnose - read consoleproxy.sslEnabled and consoleproxy.url.domain for the zone, and the certificate's dates and names.
#       - Verify - the certificate covers the console domain, is valid for months, and the proxies' public addresses resolve under that domain.
#       - Act - upload the certificate, set the domain, enable TLS, restart the management servers one at a time, then destroy the console proxies so CloudStack recreates them with the certificate.
#     commands:
#       - kind: cmk
#         text: cmk list configurations name=consoleproxy.sslEnabled zoneid=<zone-uuid>
#       - kind: cmk
#         text: cmk list configurations name=consoleproxy.url.domain zoneid=<zone-uuid>
#       - kind: shell
#         text: openssl x509 -in <certificate-file> -noout -subject -enddate -ext subjectAltName
#       - kind: cmk
#         text: cmk upload customcertificate domainsuffix=<console-domain> certificate=<certificate-pem> privatekey=<private-key-pem>
#       - kind: cmk
#         text: cmk update configuration name=consoleproxy.sslEnabled value=true zoneid=<zone-uuid>
#       - kind: shell
#         text: systemctl restart cloudstack-management
#   references:
#     - cloudstack:server/src/main/java/com/cloud/consoleproxy/ConsoleProxyManagerImpl.java (getVncPort, assignProxy)
#     - cloudstack:settings.tsv consoleproxy.sslEnabled, consoleproxy.url.domain
#   controls: [encryption, hardening]
#   requires: [db.vm_instance, db.data_center, db.keystore, settings]
package csaudit.checks.sysvm.console_ssl

import data.csaudit.lib

ssl := "consoleproxy.sslEnabled"

domain := "consoleproxy.url.domain"

day_ns := ((24 * 3600) * 1000) * 1000000

# Zones with a live console proxy.
cp_zones := {lib.key(vm.data_center_id) |
	some vm in lib.vms_of_type("ConsoleProxy")
	not vm.state in {"Destroyed", "Expunging", "Error"}
}

value(name, zid) := v if {
	input.settings[name]
	v := lib.effective_setting(name, {"zone": zid})
} else := null

ssl_on(zid) if lower(sprintf("%v", [value(ssl, zid)])) == "true"

overridden(name, zid) if input.settings[name].overrides.zone[zid] != null

certificate := c if {
	some r in object.get(input.db, "keystore", {})
	r.name == "CPVMCertificate"
	c := r
}

# Only text that is PEM is parsed: a parse error would put the check in error.
not_after := ns if {
	contains(certificate.certificate, "-----BEGIN CERTIFICATE-----")
	certs := crypto.x509.parse_certificates(certificate.certificate)
	ns := time.parse_rfc3339_ns(certs[0].NotAfter)
}

cert_days_left := (not_after - lib.db_now_ns) / day_ns

blank(v) if v == null

blank(v) if trim_space(sprintf("%v", [v])) == ""

# problem(zid) := [kind, setting the finding is about, severity, why]
problem(zid) := ["ssl-off", ssl, "medium", "consoleproxy.sslEnabled is false: console sessions cross the network in clear (HTTP/WebSocket on 8080)"] if {
	not ssl_on(zid)
} else := ["no-certificate", ssl, "medium", "consoleproxy.sslEnabled is true but no CPVMCertificate is uploaded: CloudStack falls back to plain HTTP on 8080"] if {
	not certificate
} else := ["no-domain", domain, "medium", "consoleproxy.sslEnabled is true but consoleproxy.url.domain is empty: browsers reach the proxy by an address the certificate cannot name"] if {
	blank(value(domain, zid))
} else := ["expired", ssl, "medium", sprintf("the console proxy certificate (domain %v) expired %d days ago", [certificate.domain_suffix, floor(0 - cert_days_left)])] if {
	cert_days_left <= 0
} else := ["expiring", ssl, "low", sprintf("the console proxy certificate (domain %v) expires in %d days", [certificate.domain_suffix, floor(cert_days_left)])] if {
	cert_days_left < lib.params.agent_cert_min_days
}

deny contains f if {
	some zid in cp_zones
	[kind, name, sev, why] := problem(zid)
	overridden(name, zid)
	z := lib.zones[zid]
	f := {
		"resource": lib.zone_resource(zid, z),
		"severity": sev,
		"discriminator": kind,
		"message": sprintf("zone %s: %s", [z.name, why]),
		"evidence": {"setting": name, "value": value(name, zid), "ssl_enabled": value(ssl, zid), "url_domain": value(domain, zid)},
	}
}

# Zones that follow the global value share one finding per kind of problem.
global_problems := {zid: p |
	some zid in cp_zones
	p := problem(zid)
	not overridden(p[1], zid)
}

deny contains f if {
	some kind in {p[0] | some p in global_problems}
	zids := sort([zid | some zid, p in global_problems; p[0] == kind])
	[_, name, sev, why] := global_problems[zids[0]]
	f := {
		"resource": lib.setting_resource(name),
		"severity": sev,
		"discriminator": kind,
		"message": sprintf("%s (zones %v)", [why, zids]),
		"evidence": {"setting": name, "value": lib.setting(name), "zones": zids},
	}
}
