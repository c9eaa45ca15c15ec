# METADATA
# title: SSH or libvirt reachable from anywhere
# description: >-
#   The host firewall's verdict for port 22 (SSH) or 16509 (libvirt TCP) is "open" for
#   IPv4 or IPv6: nothing restricts the source address. Seeds 001/002 list both ports as
#   management traffic that should stay on the management network. libvirt open to the
#   world is high when libvirtd listens on a non-loopback address of an open family (an
#   exposed hypervisor API; without authentication it is CSA-HOST-005 critical), low when
#   nothing listens there; SSH open to the world is low (a hygiene gap: keys still protect
#   it). A port whose verdict is indeterminate fails hosts.firewall for that host, so the
#   check reports error for it rather than passing.
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

# The firewall verdicts per address family.
families := {"ipv4": "ports", "ipv6": "ports6"}

label := {"ipv4": "IPv4", "ipv6": "IPv6"}

# A listener is reachable over a family on a wildcard or a non-loopback address
# of that family; "::" and "*" take IPv4 too (Linux's default bindv6only=0),
# "0.0.0.0" is IPv4 only.
reaches(addr, _) if addr in {"*", "::"}

reaches("0.0.0.0", "ipv4")

reaches(addr, "ipv4") if {
	not contains(addr, ":")
	addr != "0.0.0.0"
	not startswith(addr, "127.")
}

reaches(addr, "ipv6") if {
	contains(addr, ":")
	not addr in {"::", "::1"}
}

listens(facts, port, fam) if {
	some l in facts.listeners.listeners
	l.port == port
	reaches(l.address, fam)
}

open_families(facts, port) := {fam |
	some fam, key in families
	facts.firewall[key][port].verdict == "open"
}

exposed(facts, fams) if {
	some fam in fams
	listens(facts, 16509, fam)
}

severity(_, "22", _) := "low"

severity(facts, "16509", fams) := "high" if exposed(facts, fams)

severity(facts, "16509", fams) := "low" if not exposed(facts, fams)

deny contains f if {
	some id, h in lib.routing_hosts
	facts := input.hosts[h.uuid]
	some port in ["22", "16509"]
	fams := open_families(facts, port)
	count(fams) > 0
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(facts, port, fams),
		"discriminator": port,
		"message": sprintf("port %s on %s is reachable from any source (%s)", [port, h.name, concat(", ", [label[fam] | some fam in sort(fams)])]),
		"evidence": {"port": port, "verdict": "open", "families": sort(fams), "backend": object.get(facts.firewall, "backend", null)},
	}
}
