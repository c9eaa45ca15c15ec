# METADATA
# title: Agent ping timeout outside a sane window
# description: >-
#   ping.interval x ping.timeout (how long the management server waits for an agent
#   before declaring it Alert and starting HA investigation) is below param
#   ping_timeout_window_min_seconds (30) or above ping_timeout_window_max_seconds (600).
#   Too short, and a busy host or a brief network hiccup triggers investigation and
#   fencing; too long, and HA reacts minutes late. Seed 002 talks about heartbeat tuning;
#   seed 000 suggests lowering both to detect crashes faster. CloudStack's defaults
#   (60 s x 2.5 = 150 s; the seeds' other ping.timeout values are not CloudStack's) are
#   never a finding. Medium when too short (false fencing is an outage path), low when too
#   long.
# custom:
#   id: CSA-SET-010
#   severity: medium
#   category: settings
#   remediation:
#     summary: "Bring ping.interval x ping.timeout back between 30 s and 600 s; CloudStack's defaults (60, 2.5) are a safe choice. ping.interval is not dynamic: restart the management servers one at a time after changing it (ping.timeout is dynamic)."
#     commands:
#       - kind: cmk
#         text: "cmk list configurations keyword=ping. filter=name,value"
#       - kind: cmk
#         text: "cmk reset configuration name=ping.timeout"
#       - kind: cmk
#         text: "cmk reset configuration name=ping.interval"
#       - kind: shell
#         text: "systemctl restart cloudstack-management"
#   references:
#     - seed:002_87316531120da61b.txt (heartbeat and ping tuning)
#     - seed:000_bd9184fa1d57f2b2.txt (reducing ping.interval and ping.timeout)
#     - cloudstack:settings ping.interval (60), ping.timeout (2.5)
#   controls: [ha, availability]
#   requires: [settings]
package csaudit.checks.settings.ping_window

import data.csaudit.lib

interval := to_number(lib.setting("ping.interval"))

timeout := to_number(lib.setting("ping.timeout"))

window := interval * timeout

at_default if {
	interval == to_number(input.settings["ping.interval"].default)
	timeout == to_number(input.settings["ping.timeout"].default)
}

problem := ["medium", "below"] if window < lib.params.ping_timeout_window_min_seconds

problem := ["low", "above"] if window > lib.params.ping_timeout_window_max_seconds

deny contains f if {
	not at_default
	[sev, where] := problem
	f := {
		"resource": lib.setting_resource("ping.timeout"),
		"severity": sev,
		"message": sprintf("ping.interval %v x ping.timeout %v = %v s, %s the %v-%v s window", [interval, timeout, window, where, lib.params.ping_timeout_window_min_seconds, lib.params.ping_timeout_window_max_seconds]),
		"evidence": {"ping.interval": interval, "ping.timeout": timeout, "seconds": window},
	}
}
