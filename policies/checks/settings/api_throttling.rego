# METADATA
# title: API throttling is disabled
# description: >-
#   api.throttling.enabled is false (CloudStack's default), so one account can flood the
#   management server with API calls. Seed 003 recommends limiting the API request rate
#   to avoid malicious attacks and performance degradation. Low: a weaker-than-recommended
#   default.
# custom:
#   id: CSA-SET-003
#   severity: low
#   category: settings
#   remediation:
#     summary: "Enable api.throttling.enabled and size api.throttling.max / interval / cachesize for your accounts. These settings are not dynamic: restart the management servers one at a time afterwards."
#     commands:
#       - kind: cmk
#         text: "cmk list configurations keyword=api.throttling filter=name,value"
#       - kind: cmk
#         text: "cmk update configuration name=api.throttling.enabled value=true"
#       - kind: shell
#         text: "systemctl restart cloudstack-management"
#   references:
#     - seed:003_890368c12d4364b1.txt (Limiting the Rate of API Requests)
#   controls: [availability, hardening]
#   requires: [settings]
package csaudit.checks.settings.api_throttling

import data.csaudit.lib

deny contains f if {
	not lib.setting_true("api.throttling.enabled")
	f := {
		"resource": lib.setting_resource("api.throttling.enabled"),
		"message": "api.throttling.enabled is false: API calls per account are not limited",
		"evidence": {"value": lib.setting("api.throttling.enabled")},
	}
}
