# METADATA
# title: Management-to-host round trip above 50 ms
# description: >-
#   The SSH round trip from the auditing management server to a KVM host exceeds param
#   ssh_rtt_max_ms (50). Seed 000 requires hosts reachable on the management network with
#   latency below 50 ms to avoid API and agent timeouts. Seed 002's 5 ms for storage
#   heartbeats is about the storage network and is not checked here. Low: a
#   weaker-than-recommended network path, not an outage.
# custom:
#   id: CSA-HOST-011
#   severity: low
#   category: network
#   remediation:
#     summary: "Check the management network path to the host (routing through a WAN link, congestion, a VPN)."
#     commands:
#       - kind: shell
#         text: "ping -c 20 -- {ip}"
#       - kind: shell
#         text: "tracepath -n -- {ip}"
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (latency values below 50ms)
#   controls: [network, availability]
#   requires: [hosts.ssh, db.host]
package csaudit.checks.host.ssh_rtt

import data.csaudit.lib

deny contains f if {
	some id, h in lib.routing_hosts
	rtt := input.hosts[h.uuid].ssh.rtt_ms
	rtt > lib.params.ssh_rtt_max_ms
	f := {
		"resource": lib.host_resource(id, h),
		"message": sprintf("round trip to %s is %v ms (limit %v ms)", [h.name, rtt, lib.params.ssh_rtt_max_ms]),
		"evidence": {"rtt_ms": rtt, "limit_ms": lib.params.ssh_rtt_max_ms},
		"args": {"ip": h.private_ip_address},
	}
}
