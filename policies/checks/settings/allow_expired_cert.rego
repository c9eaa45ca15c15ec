# METADATA
# title: Expired agent certificates are accepted
# description: >-
#   ca.plugin.root.allow.expired.cert is true (its default): the management server
#   accepts agent TLS client certificates past their expiry, so a certificate taken from
#   a retired or compromised host keeps working. Low per the rubric: a
#   weaker-than-recommended default; it matters most once ca.plugin.root.auth.strictness
#   is on.
# custom:
#   id: CSA-SET-006
#   severity: low
#   category: settings
#   remediation:
#     summary: "Set ca.plugin.root.allow.expired.cert to false (global, dynamic: no restart) once no agent presents an expired certificate."
#     commands:
#       - kind: cmk
#         text: "cmk list hosts type=Routing filter=name,state"
#       - kind: cmk
#         text: "cmk update configuration name=ca.plugin.root.allow.expired.cert value=false"
#   references:
#     - cloudstack:setting ca.plugin.root.allow.expired.cert (RootCAProvider)
#   controls: [authentication, encryption]
#   requires: [settings]
package csaudit.checks.settings.allow_expired_cert

import data.csaudit.lib

name := "ca.plugin.root.allow.expired.cert"

deny contains f if {
	lower(trim_space(lib.setting(name))) == "true"
	f := {
		"resource": lib.setting_resource(name),
		"message": sprintf("%s is %s", [name, lib.setting(name)]),
		"evidence": {"value": lib.setting(name), "default": object.get(input.settings[name], "default", null)},
	}
}
