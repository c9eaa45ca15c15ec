# METADATA
# title: SSH or libvirt accepted from sources other than the management servers
# description: >-
#   The host firewall restricts port 22 (SSH) or 16509/16514 (libvirt TCP/TLS) by source,
#   but the accepting rules admit sources other than the management servers (mshost
#   service_ip and the addresses in the host setting). Seeds 001 and 002 keep these ports
#   to the management network; the management server reaches a host over SSH, and
#   libvirt's TCP/TLS ports also carry live migration, so for 16509/16514 the hypervisor
#   hosts of the same zone are accepted too (real CloudStack beats the seeds' prose). A
#   CIDR wider than one address, an interface-only rule ("any") or an ipset whose members
#   were not read admits sources nobody listed (the pod's management subnet also holds
#   the system VMs' management addresses). Medium: a hardening deviation with a real
#   attack path. Ports open to everyone are CSA-HOST-006.
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

# A source is one of the allowed addresses, alone or as a /32 (/128).
admitted_only(src, allowed) if src in allowed

admitted_only(src, allowed) if {
	parts := split(src, "/")
	count(parts) == 2
	parts[1] in {"32", "128"}
	parts[0] in allowed
}

families := {"IPv4": "ports", "IPv6": "ports6"}

extra(h, facts) := {sprintf("%s %s", [port, fam]): srcs |
	some fam, key in families
	some port in ["22", "16509", "16514"]
	v := facts.firewall[key][port]
	v.verdict == "restricted"
	allowed := allowed_for(port, lib.key(h.data_center_id))
	srcs := sort([s | some s in object.get(v, "accept_from", []); not admitted_only(s, allowed)])
	count(srcs) > 0
}

deny contains f if {
	some id, h in lib.routing_hosts
	facts := input.hosts[h.uuid]
	facts.firewall
	ex := extra(h, facts)
	count(ex) > 0
	f := {
		"resource": lib.host_resource(id, h),
		"message": sprintf("host %s accepts %s from sources other than the management servers: %s", [h.name, concat(", ", sort(object.keys(ex))), concat("; ", sort([sprintf("%s: %s", [k, concat(", ", v)]) | some k, v in ex]))]),
		"evidence": {"extra_sources": ex, "management_servers": sort(ms_addresses)},
	}
}
