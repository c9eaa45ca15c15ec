# METADATA
# title: Virtual router health checks are disabled
# description: >-
#   router.health.checks.enabled is false: CloudStack neither runs nor reads the routers'
#   health checks, so broken router services (DNS, DHCP, disk full) go unnoticed and
#   CSA-VR-002 has nothing to look at. Low per the rubric: a monitoring gap, weaker than
#   the default (true).
# custom:
#   id: CSA-SET-012
#   severity: low
#   category: settings
#   remediation:
#     summary: "Reset router.health.checks.enabled to its default true (dynamic: no restart)."
#     commands:
#       - kind: cmk
#         text: "cmk reset configuration name=router.health.checks.enabled"
#   references:
#     - cloudstack:setting router.health.checks.enabled
#   controls: [monitoring, network]
#   requires: [settings]
package csaudit.checks.settings.router_health_checks

import data.csaudit.lib

name := "router.health.checks.enabled"

deny contains f if {
	lower(trim_space(lib.setting(name))) == "false"
	f := {
		"resource": lib.setting_resource(name),
		"message": sprintf("%s is %s", [name, lib.setting(name)]),
		"evidence": {"value": lib.setting(name), "default": object.get(input.settings[name], "default", null)},
	}
}
