# METADATA
# title: Host firewall drops link-local traffic
# description: >-
#   The host's firewall drops 169.254.0.0/16. System VMs and virtual routers on KVM are
#   managed over their link-local interface (the management server reaches them through the
#   host on 169.254.x.x, port 3922), so seed 004 warns that dropping this range "shuts down
#   all administrative access to the VM": router configuration and system VM agents fail
#   on this host. Medium: management of system VMs on the host breaks.
# custom:
#   id: CSA-HOST-007
#   severity: medium
#   category: hardening
#   remediation:
#     summary: Remove the rule that drops 169.254.0.0/16 (allow it on the cloud0 link-local bridge).
#     commands:
#       - kind: shell
#         text: nft list ruleset | grep 169.254; iptables-save | grep 169.254
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (iptables must not drop the link-local 169.254.x.x range)
#   controls: [availability, network-access]
#   requires: [hosts.firewall, db.host]
package csaudit.checks.hardening.link_local_dropped

import data.csaudit.lib

deny contains f if {
	some id, h in lib.routing_hosts
	input.hosts[h.uuid].firewall.link_local_dropped == true
	f := {
		"resource": lib.host_resource(id, h),
		"message": sprintf("the firewall on %s drops 169.254.0.0/16 (system VM link-local management)", [h.name]),
		"evidence": {"link_local_dropped": true},
	}
}
