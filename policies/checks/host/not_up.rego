# METADATA
# title: Hypervisor host is not Up
# description: >-
#   A hypervisor host (host type Routing) whose agent status is Alert, Disconnected, Down
#   or Error, or that has stayed in a transitional status (Creating, Connecting,
#   Rebalancing) longer than param host_transitional_minutes (30). Seed 000 requires every
#   physical host to be reachable on the management network; while a host is not Up,
#   CloudStack cannot start, stop or migrate its VMs and HA decisions depend on
#   investigators. High when the host still has VMs (an outage is likely), medium
#   otherwise. Info only for an empty host an administrator has parked (Disabled or a
#   maintenance state), where a lost agent is expected; Disabled does not drain a host, so a
#   Disabled host with VMs stays high. The time in a transitional status is taken from
#   last_ping (epoch ms / 1024), which CloudStack writes on AgentConnected and Ping only
#   (HostDaoImpl.updateState): a lower bound for Connecting, and for Rebalancing (no ping
#   is accepted) the time since the last ping before it. Source: Status.java transitions
#   (states.md).
# custom:
#   id: CSA-HOST-001
#   severity: high
#   category: hosts
#   remediation:
#     summary: >-
#       Find out why the agent lost contact or never finished connecting (cloudstack-agent on
#       the host, its log, the network to port 8250 of the management servers); restore the
#       agent and let it reconnect. Only when the host cannot come back, and after its VMs are
#       confirmed stopped on it, put it in maintenance or let HA act.
#     steps:
#       - Diagnose - read the host's status, resource state and owning management server from CloudStack.
#       - Verify - on the host, check the agent service and its log, and that it reaches port 8250 of a live management server.
#       - Act - restart the agent (or reconnect the host) once the cause is fixed; a host in Connecting or Rebalancing for long usually needs its owning management server's log read first.
#     commands:
#       - kind: cmk
#         text: cmk list hosts id={uuid} filter=name,state,resourcestate,disconnected,managementserverid
#       - kind: shell
#         text: systemctl status cloudstack-agent; tail -n 100 /var/log/cloudstack/agent/agent.log
#       - kind: cmk
#         text: cmk reconnect host id={uuid}
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (hosts reachable, agent status)
#     - cloudstack:api/src/main/java/com/cloud/host/Status.java
#     - cloudstack:engine/schema/src/main/java/com/cloud/host/dao/HostDaoImpl.java (updateState, last_ping)
#   controls: [availability]
#   requires: [db.host, db.vm_instance]
package csaudit.checks.host.not_up

import data.csaudit.lib

bad_status := {"Alert", "Disconnected", "Down", "Error"}

transitional := {"Creating", "Connecting", "Rebalancing"}

# Resource states in which an administrator expects the agent to be away.
admin_parked := {"Maintenance", "Disabled", "PrepareForMaintenance", "ErrorInMaintenance", "ErrorInPrepareForMaintenance"}

severity(id, h) := "info" if {
	h.resource_state in admin_parked
	count(lib.vm_ids_on_host(id)) == 0
} else := "high" if {
	count(lib.vm_ids_on_host(id)) > 0
} else := "medium"

deny contains f if {
	some id, h in lib.routing_hosts
	h.status in bad_status
	vms := count(lib.vm_ids_on_host(id))
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(id, h),
		"message": sprintf("host %s is %s (resource state %s) with %d VMs", [h.name, h.status, h.resource_state, vms]),
		"evidence": {"status": h.status, "resource_state": h.resource_state, "vms": vms, "cluster_id": h.cluster_id},
	}
}

# last_ping is epoch milliseconds shifted right by 10 (HostDaoImpl).
ping_age_seconds(h) := ((lib.db_now_ns / 1000000) - (h.last_ping * 1024)) / 1000

deny contains f if {
	some id, h in lib.routing_hosts
	h.status in transitional
	h.last_ping != null
	age := ping_age_seconds(h)
	age > lib.params.host_transitional_minutes * 60
	vms := count(lib.vm_ids_on_host(id))
	f := {
		"resource": lib.host_resource(id, h),
		"severity": severity(id, h),
		"message": sprintf("host %s has been %s for at least %d minutes (resource state %s) with %d VMs", [h.name, h.status, floor(age / 60), h.resource_state, vms]),
		"evidence": {"status": h.status, "resource_state": h.resource_state, "vms": vms, "cluster_id": h.cluster_id, "last_ping": h.last_ping, "minutes": floor(age / 60)},
	}
}
