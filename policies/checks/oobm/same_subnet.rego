# METADATA
# title: BMC address is on the host's management subnet
# description: >-
#   The oobm address lies in the same IPv4 subnet as the host's management IP
#   (host.private_ip_address / private_netmask). Seed 002: the IPMI network must be
#   isolated from the data network, because if the management network fails and IPMI is on
#   the same segment, the fence command fails and VM recovery stalls; it also exposes the
#   BMCs to everything on the management network. Medium: a documented hardening deviation
#   with a real failure path. Only dotted IPv4 addresses are compared; BMC host names and
#   IPv6 are not evaluated.
# custom:
#   id: CSA-OOBM-007
#   severity: medium
#   category: oobm
#   remediation:
#     summary: Move the BMCs to a dedicated, isolated IPMI VLAN routed only to the management servers, then update the oobm address.
#     commands:
#       - kind: cmk
#         text: cmk configure outofbandmanagement hostid={uuid} driver=ipmitool address=<isolated-bmc-address> port=623 username=<user> password=<password>
#   references:
#     - seed:002_87316531120da61b.txt (ensure that the IPMI network is physically isolated from the data network)
#   controls: [network-segmentation, ha]
#   requires: [db.oobm, db.host]
package csaudit.checks.oobm.same_subnet

import data.csaudit.checks.oobm.index
import data.csaudit.lib

# net.* built-ins are outside the sandbox, so IPv4 arithmetic is done here.
ipv4(s) := n if {
	is_string(s)
	regex.match(`^[0-9]{1,3}(\.[0-9]{1,3}){3}$`, s)
	p := [to_number(x) | some x in split(s, ".")]
	every x in p {
		x <= 255
	}
	n := (((((p[0] * 256) + p[1]) * 256) + p[2]) * 256) + p[3]
}

deny contains f if {
	some hid, h in lib.routing_hosts
	row := index.by_host[hid]
	bmc := ipv4(row.address)
	ip := ipv4(h.private_ip_address)
	mask := ipv4(object.get(h, "private_netmask", null))
	mask > 0
	bits.and(bmc, mask) == bits.and(ip, mask)
	f := {
		"resource": lib.host_resource(hid, h),
		"message": sprintf("BMC %s of host %s is on the management subnet of %s/%s", [row.address, h.name, h.private_ip_address, h.private_netmask]),
		"evidence": {"bmc_address": row.address, "management_ip": h.private_ip_address, "netmask": h.private_netmask},
	}
}
