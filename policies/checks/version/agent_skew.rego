# METADATA
# title: Agent version differs from the management server
# description: >-
#   A KVM host's cloudstack-agent (host.version, reported by the agent on connect) is on a
#   different major.minor.patch release than the newest Up management server. CloudStack
#   upgrades expect every agent upgraded with the management servers; a skewed agent may
#   reject new commands or miss fixes, and it is a common cause of hosts flapping after an
#   upgrade. Only KVM is checked: for XenServer and VMware the "agent" runs inside the
#   management server. Medium: operations on the host may fail. Source: CloudStack upgrade
#   notes (upgrade agents with the management servers) and host.version (tables.md).
# custom:
#   id: CSA-VER-002
#   severity: medium
#   category: versions
#   remediation:
#     summary: "Upgrade (or downgrade) the cloudstack-agent package on the host to the management server's release and restart the agent (the VMs keep running)."
#     commands:
#       - kind: cmk
#         text: "cmk list hosts id={uuid} filter=name,version,state"
#       - kind: shell
#         text: "apt-get install cloudstack-agent || dnf upgrade cloudstack-agent"
#   references:
#     - cloudstack:docs upgrade instructions (upgrade the KVM agents)
#     - cloudstack:host.version (tables.md)
#   controls: [patching, operations]
#   requires: [db.host, db.mshost]
package csaudit.checks.version.agent_skew

import data.csaudit.lib

deny contains f if {
	ms := lib.ms_version
	some id, h in lib.routing_hosts
	h.hypervisor_type == "KVM"
	h.version != null
	h.version != ""
	lib.version_string(h.version) != ms
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(h),
		"message": sprintf("agent on %s is %s, management servers run %s", [h.name, h.version, ms]),
		"evidence": {"agent_version": h.version, "ms_version": ms, "status": h.status},
	}
}

# A host that is not connected has not reported what it runs now.
severity(h) := "medium" if h.status == "Up"

else := "low"
