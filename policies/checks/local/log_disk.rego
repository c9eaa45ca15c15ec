# METADATA
# title: Little free space under /var/log/cloudstack
# description: >-
#   The filesystem holding /var/log/cloudstack on the management server has less than
#   param log_disk_min_free_pct (10%) free. Seed 000 names disk space exhaustion on the log
#   partition as a cause of "Internal Server Error" during VM resets; a full log disk also
#   stops the management server from logging the evidence an audit needs. Medium: an
#   outage path that is still avoidable.
# custom:
#   id: CSA-LOCAL-003
#   severity: medium
#   category: management-server
#   remediation:
#     summary: Free space (rotate and compress old management-server logs) and fix log rotation, or grow the filesystem.
#     commands:
#       - kind: shell
#         text: df -h /var/log/cloudstack; du -sh /var/log/cloudstack/*
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (no disk space exhaustion on the /var/log partition)
#   controls: [availability, logging]
#   requires: [local.log_disk]
package csaudit.checks.local.log_disk

import data.csaudit.lib

deny contains f if {
	d := input.local.log_disk
	d.free_pct < lib.params.log_disk_min_free_pct
	f := {
		"resource": lib.local_ms_resource,
		"message": sprintf("%s has %v%% free (%d MB)", [object.get(d, "path", "/var/log/cloudstack"), d.free_pct, round(d.free_bytes / 1048576)]),
		"evidence": {"path": object.get(d, "path", null), "free_pct": d.free_pct, "free_bytes": d.free_bytes},
	}
}
