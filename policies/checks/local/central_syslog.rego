# METADATA
# title: Management server logs are not forwarded to a central syslog
# description: >-
#   Neither the management server's log4j configuration
#   (/etc/cloudstack/management/log4j-cloud.xml) has an appender a logger uses that sends
#   to another machine (Syslog or Socket with a non-local host, CloudStack's
#   AlertSyslogAppender with syslogHosts), nor does the machine's syslog daemon (rsyslog
#   @host/@@host or omfwd, syslog-ng network destinations) forward to a remote target.
#   Seed 000 asks to audit actions by piping logs to a centralized syslog server for
#   immutable record keeping; logs kept only on the management server can be altered or
#   lost with it. Low: a hygiene gap. The packaged log4j Syslog appender sends to
#   localhost, which counts only when the local syslog forwards.
# custom:
#   id: CSA-LOCAL-005
#   severity: low
#   category: management-server
#   remediation:
#     summary: >-
#       Check the logging setup, then add a remote forward to the syslog daemon (which already
#       receives the log4j SYSLOG appender's warnings through localhost) or set the alert
#       appender's syslogHosts, and confirm that messages arrive at the central server.
#     steps:
#       - Look at the log4j appenders and the rsyslog rules (the evidence names the files read).
#       - Add a forward such as "*.* @@loghost.example:6514" (TCP) or an omfwd action in /etc/rsyslog.d/, then restart rsyslog.
#       - Check with logger -p local6.warning that a test message reaches the central server.
#     commands:
#       - kind: shell
#         text: grep -n -E '<(Syslog|Socket|AlertSyslogAppender) ' /etc/cloudstack/management/log4j-cloud.xml
#       - kind: shell
#         text: grep -rn -E '@@?[A-Za-z0-9]|omfwd' /etc/rsyslog.conf /etc/rsyslog.d/
#       - kind: shell
#         text: logger -p local6.warning 'csaudit central syslog test'
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (piping logs to a centralized Syslog server)
#   controls: [logging, audit-trail]
#   requires: [local.syslog]
package csaudit.checks.local.central_syslog

import data.csaudit.lib

deny contains f if {
	s := input.local.syslog
	count(object.get(s, "log4j_remote", [])) == 0
	count(object.get(s, "forwards", [])) == 0
	f := {
		"resource": lib.local_ms_resource,
		"message": "neither log4j nor the syslog daemon forwards the management server's logs to a remote syslog",
		"evidence": {"log4j_file": object.get(s, "log4j_file", null), "syslog_files": object.get(s, "syslog_files", [])},
	}
}
