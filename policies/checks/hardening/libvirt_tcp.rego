# METADATA
# title: libvirt TCP without authentication
# description: >-
#   libvirtd on a KVM host accepts plain TCP (listen_tcp = 1 or the libvirtd-tcp socket
#   unit active) with auth_tcp = "none", the setting older CloudStack install guides used
#   for live migration. Anyone who reaches port 16509 controls every VM on the host.
#   Medium when only configured (the firewall restricts or closes 16509, or nothing
#   listens); critical when libvirtd listens on a non-loopback address and the firewall
#   lets anyone reach 16509 over that address family, IPv4 or IPv6 (an unauthenticated
#   hypervisor API reachable, per the rubric). An indeterminate firewall verdict fails
#   hosts.firewall for the host: the finding stays at medium, and the check's status says
#   the firewall could not be evaluated there.
#   Source: seeds 000/001 (port 16509, libvirt TCP), CloudStack KVM host setup (TLS on
#   16514 since the CA framework).
# custom:
#   id: CSA-HOST-005
#   severity: critical
#   category: hardening
#   remediation:
#     summary: "Move migration to TLS before closing TCP: provision CloudStack certificates on every host of the cluster and check that libvirtd listens on 16514 on each, and only then close 16509 (listen_tcp = 0, libvirtd-tcp.socket off, firewall). Closing it first breaks live migration between the cluster's hosts, so maintenance drains fail."
#     steps:
#       - "Read libvirtd.conf and the listening sockets on the host."
#       - "Provision certificates for every host of the cluster (the finding lists one command per host)."
#       - "On every host of the cluster, check that libvirtd listens on 16514."
#       - "Only then turn TCP off on this host and restart libvirtd (running VMs are not affected)."
#     commands:
#       - kind: shell
#         text: "grep -E '^(listen_tcp|listen_tls|auth_tcp)' /etc/libvirt/libvirtd.conf; ss -ltn"
#       - kind: cmk
#         text: "cmk provision certificate hostid={uuid}"
#       - kind: shell
#         text: "ss -ltn 'sport = :16514'"
#       - kind: shell
#         text: "systemctl disable --now libvirtd-tcp.socket; sed -i 's/^listen_tcp *= *1/listen_tcp = 0/' /etc/libvirt/libvirtd.conf && systemctl restart libvirtd"
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (port 16509)
#     - seed:001_846adba9a861db0c.txt (KVM libvirt 16509 TCP/TLS)
#     - cloudstack:docs KVM installation (libvirtd.conf)
#   controls: [authentication, network-access]
#   requires: [hosts.libvirtd, hosts.listeners, hosts.firewall, db.host]
package csaudit.checks.hardening.libvirt_tcp

import data.csaudit.lib

unquote(v) := trim(trim_space(v), "\"'")

tcp_enabled(facts) if unquote(facts.libvirtd.values.listen_tcp) == "1"

tcp_enabled(facts) if {
	some unit, state in facts.listeners.units
	startswith(unit, "libvirtd-tcp")
	contains(state, "active")
	not contains(state, "inactive")
}

# libvirt's own default for auth_tcp is sasl; only an explicit none is open.
no_auth(facts) if unquote(facts.libvirtd.values.auth_tcp) == "none"

# As in open_ports: "::" and "*" take IPv4 too (Linux's default bindv6only=0), "0.0.0.0" is IPv4 only.
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

listening(facts, fam) if {
	some l in facts.listeners.listeners
	l.port == 16509
	reaches(l.address, fam)
}

reachable(facts) if {
	some fam, key in {"ipv4": "ports", "ipv6": "ports6"}
	listening(facts, fam)
	facts.firewall[key]["16509"].verdict == "open"
}

severity(facts) := "critical" if reachable(facts)

else := "medium"

deny contains f if {
	some id, h in lib.routing_hosts
	facts := input.hosts[h.uuid]
	tcp_enabled(facts)
	no_auth(facts)
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(facts),
		"message": sprintf("libvirtd on %s accepts TCP without authentication (reachable from anywhere: %v)", [h.name, reachable(facts) == true]),
		"evidence": {
			"listen_tcp": object.get(facts.libvirtd.values, "listen_tcp", null), "auth_tcp": facts.libvirtd.values.auth_tcp,
			"listening": listening_or_false(facts), "firewall_16509": object.get(facts, ["firewall", "ports", "16509", "verdict"], "unknown"),
			"firewall6_16509": object.get(facts, ["firewall", "ports6", "16509", "verdict"], "unknown"),
		},
		"remediation": {"commands": array.concat(
			array.concat([diagnose], [provision(i) | some i, _ in cluster_hosts(id, h)]),
			[verify_tls, close_tcp],
		)},
		"args": {sprintf("host%d", [i]): lib.routing_hosts[hid].uuid | some i, hid in cluster_hosts(id, h)},
	}
}

# The hosts that migrate to and from this one: its cluster's, itself included.
cluster_hosts(id, h) := sort(lib.hosts_in_cluster[lib.key(h.cluster_id)]) if {
	h.cluster_id != null
} else := [id]

diagnose := {"kind": "shell", "text": "grep -E '^(listen_tcp|listen_tls|auth_tcp)' /etc/libvirt/libvirtd.conf; ss -ltn"}

provision(i) := {"kind": "cmk", "text": sprintf("cmk provision certificate hostid={host%d}", [i])}

verify_tls := {"kind": "shell", "text": "ss -ltn 'sport = :16514'"}

close_tcp := {"kind": "shell", "text": "systemctl disable --now libvirtd-tcp.socket; sed -i 's/^listen_tcp *= *1/listen_tcp = 0/' /etc/libvirt/libvirtd.conf && systemctl restart libvirtd"}

listening_or_false(facts) if {
	some fam in ["ipv4", "ipv6"]
	listening(facts, fam)
}

default listening_or_false(_) := false

default reachable(_) := false
