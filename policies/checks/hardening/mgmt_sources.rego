# METADATA
# title: SSH or libvirt accepted from sources outside the management network
# description: >-
#   The host firewall restricts port 22 (SSH) or 16509/16514 (libvirt TCP/TLS) by source,
#   but an accepting rule admits sources outside the management network: an address or
#   CIDR that holds none of the management servers' addresses (mshost service_ip and the
#   host setting), an interface-only rule ("any" source) or an ipset whose members were
#   not read (low: cannot be judged further). Seeds 001 and 002 keep these ports to the
#   management servers and the management network. libvirt's TCP/TLS ports also carry
#   live migration between hosts (real CloudStack beats the seeds' prose), so for
#   16509/16514 the hypervisor hosts of the same zone count as allowed sources too. A
#   CIDR that contains an allowed address and is no wider than param
#   mgmt_network_min_prefix (/16) is the management network the seeds and CSA-HOST-006
#   recommend, and stays quiet; a wider one (10.0.0.0/8) is reported. Medium: a hardening deviation with a real
#   attack path. Ports open to everyone are CSA-HOST-006. IPv6 sources are compared as
#   exact addresses only.
# custom:
#   id: CSA-HOST-012
#   severity: medium
#   category: hardening
#   remediation:
#     summary: >-
#       Check which sources the rules admit, then narrow the accepting rules for 22 to the
#       management servers' addresses and for 16509/16514 to the management servers and the
#       zone's hypervisor hosts, keeping a console or out-of-band path before the change.
#     steps:
#       - List the INPUT rules for the ports (the evidence names the admitted sources).
#       - Confirm the management servers' addresses (service IPs and the host setting).
#       - Replace the broad accepts with per-address rules, keeping your own session and the BMC console available.
#     commands:
#       - kind: shell
#         text: iptables-save -t filter | grep -E 'dport (22|16509|16514)'
#       - kind: shell
#         text: nft list ruleset | grep -E 'dport (22|16509|16514)'
#       - kind: cmk
#         text: cmk list managementservers filter=name,ipaddress,state
#   references:
#     - seed:001_846adba9a861db0c.txt (ports 16509, 22)
#     - seed:002_87316531120da61b.txt (firewall on hypervisor hosts)
#     - cloudstack:setting host
#   controls: [network-access, hardening]
#   requires: [hosts.firewall, db.host, db.mshost, settings]
package csaudit.checks.hardening.mgmt_sources

import data.csaudit.lib

ms_addresses := {a |
	some m in lib.mshosts
	a := m.service_ip
	a != null
} | {a |
	some part in split(sprintf("%v", [lib.setting("host")]), ",")
	a := trim_space(part)
	not a in {"", "localhost", "null"}
}

zone_host_addresses[lib.key(h.data_center_id)] contains h.private_ip_address if {
	some h in lib.routing_hosts
	h.private_ip_address != null
}

allowed_for(port, _) := ms_addresses if port == "22"

allowed_for(port, zid) := ms_addresses | object.get(zone_host_addresses, zid, set()) if port in {"16509", "16514"}

# IPv4 text to a number; undefined for anything else.
ipv4(s) := (((((to_number(p[0]) * 256) + to_number(p[1])) * 256) + to_number(p[2])) * 256) + to_number(p[3]) if {
	regex.match(`^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$`, s)
	p := split(s, ".")
}

# A source is an allowed address, or a CIDR holding one (the management network).
admitted(src, allowed) if src in allowed

admitted(src, allowed) if {
	parts := split(src, "/")
	count(parts) == 2
	regex.match(`^[0-9]{1,2}$`, parts[1])
	to_number(parts[1]) >= lib.params.mgmt_network_min_prefix
	shift := 32 - to_number(parts[1])
	shift >= 0
	net := bits.rsh(ipv4(parts[0]), shift)
	some a in allowed
	bits.rsh(ipv4(a), shift) == net
}

admitted(src, allowed) if {
	parts := split(src, "/")
	count(parts) == 2
	parts[1] == "128"
	parts[0] in allowed
}

families := {"IPv4": "ports", "IPv6": "ports6"}

extra(h, facts) := {sprintf("%s %s", [port, fam]): srcs |
	some fam, key in families
	some port in ["22", "16509", "16514"]
	v := facts.firewall[key][port]
	v.verdict == "restricted"
	allowed := allowed_for(port, lib.key(h.data_center_id))
	srcs := sort([s | some s in object.get(v, "accept_from", []); not admitted(s, allowed)])
	count(srcs) > 0
}

# Only unread ipsets: low; anything else outside the management network: medium.
severity(ex) := "low" if {
	every srcs in ex {
		every s in srcs {
			startswith(s, "ipset ")
		}
	}
} else := "medium"

deny contains f if {
	some id, h in lib.routing_hosts
	facts := input.hosts[h.uuid]
	facts.firewall
	ex := extra(h, facts)
	count(ex) > 0
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(ex),
		"message": sprintf("host %s accepts connections from outside the management network: %s", [h.name, concat("; ", sort([sprintf("port %s from %s", [k, concat(", ", v)]) | some k, v in ex]))]),
		"evidence": {"extra_sources": ex, "management_servers": sort(ms_addresses)},
	}
}
