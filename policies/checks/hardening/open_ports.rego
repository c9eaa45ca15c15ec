# METADATA
# title: SSH or libvirt reachable from anywhere
# description: >-
#   The host firewall's verdict for port 22 (SSH) or 16509 (libvirt TCP) is "open":
#   nothing restricts the source address. Seeds 001/002 list both ports as management
#   traffic that should stay on the management network. libvirt open to the world is high
#   when libvirtd listens on it (an exposed hypervisor API; without authentication it is
#   CSA-HOST-005 critical), low when nothing listens; SSH open to the world is low (a
#   hygiene gap: keys still protect it).
# custom:
#   id: CSA-HOST-006
#   severity: high
#   category: hardening
#   remediation:
#     summary: Allow 22 and 16509 only from the management network (and 16509 between the cluster's hosts).
#     commands:
#       - kind: shell
#         text: nft list ruleset | grep -E 'dport (22|16509)'
#   references:
#     - seed:001_846adba9a861db0c.txt (ports 16509, 22)
#     - seed:002_87316531120da61b.txt (firewall on hypervisor hosts)
#   controls: [network-access]
#   requires: [hosts.firewall, hosts.listeners, db.host]
package csaudit.checks.hardening.open_ports

import data.csaudit.lib

listens(facts, port) if {
	some l in facts.listeners.listeners
	l.port == port
}

severity(_, "22") := "low"

severity(facts, "16509") := "high" if listens(facts, 16509)

severity(facts, "16509") := "low" if not listens(facts, 16509)

deny contains f if {
	some id, h in lib.routing_hosts
	facts := input.hosts[h.uuid]
	some port in ["22", "16509"]
	facts.firewall.ports[port].verdict == "open"
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(facts, port),
		"discriminator": port,
		"message": sprintf("port %s on %s is reachable from any source", [port, h.name]),
		"evidence": {"port": port, "verdict": "open", "backend": object.get(facts.firewall, "backend", null)},
	}
}
