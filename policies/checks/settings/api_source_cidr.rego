# METADATA
# title: API reachable from any source address
# description: >-
#   api.allowed.source.cidr.list (global, or an account override) contains 0.0.0.0/0 or
#   ::/0, its default: API keys and sessions work from anywhere on the Internet, so a
#   leaked key is usable by anyone. Low per the rubric: a weaker-than-recommended default.
#   Account overrides are filed against the account. Source: CloudStack setting
#   api.allowed.source.cidr.list (Account scope; enforced when
#   api.source.cidr.checks.enabled is true).
# custom:
#   id: CSA-SET-008
#   severity: low
#   category: settings
#   remediation:
#     summary: "Restrict api.allowed.source.cidr.list (dynamic) to the networks administrators and integrations call from; check your own address is in the list first."
#     commands:
#       - kind: cmk
#         text: "cmk list configurations name=api.allowed.source.cidr.list filter=name,value"
#       - kind: cmk
#         text: "cmk update configuration name=api.allowed.source.cidr.list value=<admin-cidrs>"
#   references:
#     - cloudstack:setting api.allowed.source.cidr.list
#   controls: [network-access]
#   requires: [settings]
package csaudit.checks.settings.api_source_cidr

import data.csaudit.lib

name := "api.allowed.source.cidr.list"

open_cidrs := {"0.0.0.0/0", "::/0"}

open_in(v) := {c | some x in split(v, ","); c := trim_space(x); c in open_cidrs}

deny contains f if {
	count(open_in(lib.setting(name))) > 0
	f := {
		"resource": lib.setting_resource(name),
		"message": sprintf("%s allows %v", [name, sort(open_in(lib.setting(name)))]),
		"evidence": {"value": lib.setting(name)},
	}
}

deny contains f if {
	some aid, v in object.get(object.get(input.settings[name], "overrides", {}), "account", {})
	count(open_in(v)) > 0
	f := {
		"resource": {"type": "account", "id": aid},
		"discriminator": name,
		"message": sprintf("account %v overrides %s to allow %v", [aid, name, sort(open_in(v))]),
		"evidence": {"setting": name, "value": v},
	}
}
