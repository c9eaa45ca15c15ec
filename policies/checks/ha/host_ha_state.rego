# METADATA
# title: Host-HA reports a host Fenced, Degraded, Suspect or Ineligible
# description: >-
#   A host with Host-HA enabled (ha_config, resource_type Host) whose HA state is not a
#   healthy one (HAConfig.HAState, states.md). Fenced: the framework powered the host off
#   through its BMC; CloudStack reports it Down, and when it is healthy again HA is
#   disabled for it (HealthCheckTask) until an administrator enables it again. Degraded:
#   health checks fail but activity checks still see the host using its storage, so
#   Host-HA neither recovers nor fences it and CloudStack reports it Disconnected.
#   Suspect: health checks are failing now. High when the host still has VMs (an outage
#   is likely), medium otherwise. Ineligible: Host-HA is enabled but KVMHAProvider cannot
#   act (out-of-band management disabled, no Up neighbour in the cluster to check
#   activity, not KVM/LXC, or the host is Disabled or in maintenance): medium, as HA is
#   silently not protecting the host; info when the host is Disabled or in a maintenance
#   state, where that is expected. Source: HAManagerImpl, KVMHAProvider.isEligible.
# custom:
#   id: CSA-HA-008
#   severity: high
#   category: ha
#   remediation:
#     summary: >-
#       Read the host's Host-HA state, agent status and BMC power state before acting. A
#       Fenced host stays off until it is repaired and powered on; then enable HA for it
#       again. A Degraded or Suspect host needs its agent and storage looked at on the host.
#       An Ineligible host needs working out-of-band management and an Up neighbour.
#     steps:
#       - Diagnose - list the host's HA resource (state, provider) and its status, resource state and out-of-band management.
#       - Verify - ask the BMC for the power state; for a Degraded or Suspect host, check the agent and the storage heartbeat on the host itself.
#       - Act - repair the host; for a Fenced host, power it on only once repaired, wait until it is Up, then enable HA for it again.
#     commands:
#       - kind: cmk
#         text: cmk list hostharesources hostid={uuid}
#       - kind: cmk
#         text: cmk list hosts id={uuid} filter=name,state,resourcestate,hostha,outofbandmanagement
#       - kind: cmk
#         text: cmk issue outofbandmanagementpoweraction hostid={uuid} action=STATUS
#       - kind: cmk
#         text: cmk enable haforhost hostid={uuid}
#   references:
#     - cloudstack:server/src/main/java/org/apache/cloudstack/ha/HAManagerImpl.java
#     - cloudstack:plugins/hypervisors/kvm/src/main/java/org/apache/cloudstack/kvm/ha/KVMHAProvider.java
#     - cloudstack:states.md (Host HA framework, ha_config.ha_state)
#   controls: [availability, ha]
#   requires: [db.ha_config, db.host, db.vm_instance]
package csaudit.checks.ha.host_ha_state

import data.csaudit.lib

failing := {"Fenced", "Degraded", "Suspect"}

parked := {"Disabled", "Maintenance", "PrepareForMaintenance", "ErrorInMaintenance", "ErrorInPrepareForMaintenance"}

severity(hid, state, h) := "info" if {
	state == "Ineligible"
	h.resource_state in parked
} else := "medium" if {
	state == "Ineligible"
} else := "high" if {
	count(lib.vm_ids_on_host(hid)) > 0
} else := "medium"

deny contains f if {
	some c in object.get(input.db, "ha_config", {})
	c.resource_type == "Host"
	lib.truthy(c.enabled)
	c.ha_state in (failing | {"Ineligible"})
	hid := lib.key(c.resource_id)
	h := lib.routing_hosts[hid]
	vms := count(lib.vm_ids_on_host(hid))
	f := {
		"resource": lib.host_resource(hid, h),
		"severity": severity(hid, c.ha_state, h),
		"message": sprintf("Host-HA state of %s is %s (status %s, resource state %s, %d VMs) since %v", [h.name, c.ha_state, h.status, h.resource_state, vms, c.update_time]),
		"evidence": {"ha_state": c.ha_state, "provider": c.provider, "update_time": c.update_time, "status": h.status, "resource_state": h.resource_state, "vms": vms},
	}
}
