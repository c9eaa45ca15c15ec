# METADATA
# title: Management server Java heap is small
# description: >-
#   The management server's maximum Java heap is below param java_heap_min_mb (2048 MB).
#   Seed 000 asks for "sufficient heap size configured in /etc/default/cloudstack-management"
#   because a starved thread pool queues API jobs; seed 001 recommends 8 GB of RAM for the
#   management server. A small heap shows as long GC pauses, which delay heartbeats and can
#   make peers mark the server Down. Low: a weaker-than-recommended default.
# custom:
#   id: CSA-LOCAL-004
#   severity: low
#   category: management-server
#   remediation:
#     summary: Raise -Xmx in JAVA_OPTS of /etc/default/cloudstack-management (or /etc/sysconfig) and restart the service in a window.
#     commands:
#       - kind: shell
#         text: grep JAVA_OPTS /etc/default/cloudstack-management
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (sufficient heap size in /etc/default/cloudstack-management)
#     - seed:001_846adba9a861db0c.txt (management server 8GB RAM)
#   controls: [availability, capacity]
#   requires: [local.java_heap]
package csaudit.checks.local.java_heap

import data.csaudit.lib

deny contains f if {
	mb := input.local.java_heap.max_mb
	mb < lib.params.java_heap_min_mb
	f := {
		"resource": lib.local_ms_resource,
		"message": sprintf("management server heap is %d MB (want at least %d MB)", [mb, lib.params.java_heap_min_mb]),
		"evidence": {"max_mb": mb},
	}
}
