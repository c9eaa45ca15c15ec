# METADATA
# title: Hypervisor host is not Up
# description: >-
#   A hypervisor host (host type Routing) whose agent status is Alert, Disconnected, Down
#   or Error. Seed 000 requires every physical host to be reachable on the management
#   network; while a host is not Up, CloudStack cannot start, stop or migrate its VMs and
#   HA decisions depend on investigators. High when the host still has VMs (an outage is
#   likely), medium otherwise; info when an administrator has put the host in Maintenance
#   or Disabled, where a lost agent is expected.
# custom:
#   id: CSA-HOST-001
#   severity: high
#   category: hosts
#   remediation:
#     summary: >-
#       Find out why the agent lost contact (cloudstack-agent on the host, network to port
#       8250 of the management servers), restore it, or put the host in maintenance.
#     commands:
#       - kind: cmk
#         text: cmk list hosts id={uuid} filter=name,state,resourcestate,disconnected,managementserverid
#       - kind: shell
#         text: systemctl status cloudstack-agent; tail -n 100 /var/log/cloudstack/agent/agent.log
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (hosts reachable, agent status)
#     - cloudstack:api/src/main/java/com/cloud/host/Status.java
#   controls: [availability]
#   requires: [db.host, db.vm_instance]
package csaudit.checks.host.not_up

import data.csaudit.lib

bad_status := {"Alert", "Disconnected", "Down", "Error"}

admin_parked := {"Maintenance", "Disabled"}

severity(id, h) := "info" if {
	h.resource_state in admin_parked
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
