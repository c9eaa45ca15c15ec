# METADATA
# title: Console proxy URL domain empty or the retired realhostip.com
# description: >-
#   consoleproxy.url.domain (global or zone override) is empty, so consoles are served by
#   bare IP address and browsers cannot validate a certificate for them (low); or it still
#   names realhostip.com, the wildcard DNS service older CloudStack releases used, which
#   has been retired: console URLs no longer resolve (medium: consoles unavailable).
#   Seed 003 mentions configuring the console proxy domain and SSL. Source: CloudStack
#   setting consoleproxy.url.domain (Zone scope).
# custom:
#   id: CSA-SYSVM-003
#   severity: medium
#   category: system-vms
#   remediation:
#     summary: "Upload a certificate for a wildcard domain you control (uploadCustomCertificate), then point consoleproxy.url.domain at it. The setting is not dynamic: restart the management servers one at a time, then reboot the console proxy VMs."
#     commands:
#       - kind: cmk
#         text: "cmk list configurations name=consoleproxy.url.domain filter=name,value"
#       - kind: cmk
#         text: "cmk update configuration name=consoleproxy.url.domain value='*.console.example.com'"
#       - kind: shell
#         text: "systemctl restart cloudstack-management"
#       - kind: cmk
#         text: "cmk list systemvms systemvmtype=consoleproxy filter=id,name,state"
#   references:
#     - seed:003_890368c12d4364b1.txt (console proxy domain and SSL)
#     - cloudstack:setting consoleproxy.url.domain
#   controls: [encryption, availability]
#   requires: [settings, db.data_center]
package csaudit.checks.sysvm.consoleproxy_domain

import data.csaudit.lib

name := "consoleproxy.url.domain"

problem(v) := ["medium", "still names the retired realhostip.com service"] if contains(lower(v), "realhostip.com")

problem(v) := ["low", "is empty: consoles are served by IP address"] if trim_space(v) == ""

value_or_empty(v) := v if v != null

else := ""

overridden(zid) if input.settings[name].overrides.zone[zid]

deny contains f if {
	v := value_or_empty(lib.setting(name))
	[sev, why] := problem(v)
	f := {
		"resource": lib.setting_resource(name),
		"severity": sev,
		"message": sprintf("%s %s", [name, why]),
		"evidence": {"value": v},
	}
}

deny contains f if {
	some zid, v in object.get(object.get(input.settings[name], "overrides", {}), "zone", {})
	z := lib.zones[zid]
	[sev, why] := problem(v)
	f := {
		"resource": lib.zone_resource(zid, z),
		"severity": sev,
		"discriminator": name,
		"message": sprintf("zone %s: %s %s", [z.name, name, why]),
		"evidence": {"setting": name, "value": v},
	}
}
