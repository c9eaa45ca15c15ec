# METADATA
# title: Session cookie not marked Secure
# description: >-
#   enable.secure.session.cookie is false (its default): the UI/API session cookie lacks
#   the Secure flag, so a browser sends it over plain HTTP too, where it can be captured.
#   Low per the rubric: a weaker-than-recommended default (set it once the UI is served
#   over HTTPS only).
# custom:
#   id: CSA-SET-007
#   severity: low
#   category: settings
#   remediation:
#     summary: "Serve the UI and API over HTTPS, then set enable.secure.session.cookie to true. It is not dynamic: restart the management servers one at a time."
#     commands:
#       - kind: cmk
#         text: "cmk update configuration name=enable.secure.session.cookie value=true"
#       - kind: shell
#         text: "systemctl restart cloudstack-management"
#   references:
#     - cloudstack:setting enable.secure.session.cookie
#   controls: [session-management]
#   requires: [settings]
package csaudit.checks.settings.secure_session_cookie

import data.csaudit.lib

name := "enable.secure.session.cookie"

deny contains f if {
	lower(trim_space(lib.setting(name))) == "false"
	f := {
		"resource": lib.setting_resource(name),
		"message": sprintf("%s is %s", [name, lib.setting(name)]),
		"evidence": {"value": lib.setting(name), "default": object.get(input.settings[name], "default", null)},
	}
}
