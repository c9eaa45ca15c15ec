# METADATA
# title: Unauthenticated integration API port is configured
# description: >-
#   integration.api.port opens CloudStack's integration API, which accepts calls without
#   any authentication (historically port 8096). Seed 001 says to disable the port 8096
#   unauthenticated API. High per the rubric (unauthenticated API port configured);
#   critical when the management server is seen listening on that port on a non-loopback
#   address (local facts).
# custom:
#   id: CSA-SET-001
#   severity: high
#   category: settings
#   remediation:
#     summary: "Reset integration.api.port to its default 0 (off). It is not dynamic: restart the management servers one at a time for it to take effect."
#     commands:
#       - kind: cmk
#         text: "cmk list configurations name=integration.api.port filter=name,value"
#       - kind: cmk
#         text: "cmk reset configuration name=integration.api.port"
#       - kind: shell
#         text: "systemctl restart cloudstack-management"
#   references:
#     - seed:001_846adba9a861db0c.txt (Disable the Port 8096 unauthenticated API)
#     - cloudstack:settings.tsv integration.api.port
#   controls: [access-control, hardening]
#   requires: [settings]
package csaudit.checks.settings.integration_api_port

import data.csaudit.lib

port := p if {
	v := trim_space(lib.setting("integration.api.port"))
	v != ""
	p := to_number(v)
	p > 0
}

exposed if {
	some l in input.local.listeners.listeners
	l.port == port
	not startswith(l.address, "127.")
	l.address != "::1"
}

deny contains f if {
	port
	f := {
		"resource": lib.setting_resource("integration.api.port"),
		"severity": severity,
		"message": sprintf("integration.api.port is %v: an unauthenticated API is configured", [port]),
		"evidence": {"value": port, "listening_non_loopback": exposed},
	}
}

severity := "critical" if exposed

else := "high"

default exposed := false
