# METADATA
# title: cloudstack-agent is not active on a KVM host
# description: >-
#   The cloudstack-agent service is inactive or failed on a KVM host. Seed 000 (step 2)
#   and seed 001 require the agent to be active: it is the only path between the
#   management server and the hypervisor, and without it resets, starts and HA fail.
#   High when the host still runs VMs, medium otherwise. A host where systemctl cannot
#   tell (unknown-no-systemd without systemd, unknown-chroot when the audit shell is in a
#   chroot) is reported as info, not as a failure.
# custom:
#   id: CSA-HOST-003
#   severity: high
#   category: hosts
#   remediation:
#     summary: "Find out why the agent stopped (its journal and agent.log), then start it; VMs keep running while the agent is down."
#     commands:
#       - kind: shell
#         text: "systemctl status cloudstack-agent; journalctl -u cloudstack-agent -n 100"
#       - kind: shell
#         text: "tail -n 100 /var/log/cloudstack/agent/agent.log"
#       - kind: shell
#         text: "systemctl start cloudstack-agent"
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (Step 2, Validate Hypervisor Connectivity)
#     - seed:001_846adba9a861db0c.txt (cloudstack-agent is active on KVM hosts)
#   controls: [availability]
#   requires: [db.host, hosts.agent]
package csaudit.checks.host.agent_inactive

import data.csaudit.lib

deny contains f if {
	some id, h in lib.routing_hosts
	h.hypervisor_type == "KVM"
	state := input.hosts[h.uuid].agent.state
	state != "active"
	vms := count(lib.vm_ids_on_host(id))
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(state, vms),
		"message": sprintf("cloudstack-agent on %s is %s (%d VMs on the host)", [h.name, state, vms]),
		"evidence": {"agent_state": state, "vms": vms, "db_status": h.status},
	}
}

# systemctl could not tell: a note, not a failure.
undetermined(state) if startswith(state, "unknown-")

severity(state, _) := "info" if undetermined(state)

severity(state, vms) := "high" if {
	not undetermined(state)
	vms > 0
}

severity(state, vms) := "medium" if {
	not undetermined(state)
	vms == 0
}
