# METADATA
# title: Out-of-band management is configured but disabled for the host
# description: >-
#   The host has an oobm row (driver, address, credentials) but out-of-band management is
#   disabled for it (oobm.enabled = 0). CloudStack then neither syncs the host's power state
#   nor can power it on, off or reset through the BMC, and its background sync sets the power
#   state to Disabled. csaudit still probes such a BMC passively (its exposure on the network
#   does not depend on CloudStack) but never logs in. Low: nothing in CloudStack depends on
#   it. A disabled row is reported more severely elsewhere, and not here, when something
#   does depend on it: a Host-HA host (CSA-OOBM-008, high) or a host in a cluster running
#   HA-enabled VMs (CSA-OOBM-009, medium).
# custom:
#   id: CSA-OOBM-012
#   severity: low
#   category: oobm
#   remediation:
#     summary: Enable out-of-band management for the host once its BMC works, or remove the stale configuration.
#     commands:
#       - kind: cmk
#         text: cmk enable outofbandmanagementforhost hostid={uuid}
#   references:
#     - cloudstack:server/src/main/java/org/apache/cloudstack/outofbandmanagement/OutOfBandManagementServiceImpl.java (disableOutOfBandManagement, power state poll task)
#     - cloudstack:states.md (oobm PowerState Disabled)
#   controls: [availability]
#   requires: [db.host, db.oobm, db.ha_config, db.cluster_details, db.vm_instance]
package csaudit.checks.oobm.disabled

import data.csaudit.checks.oobm.index
import data.csaudit.lib

deny contains f if {
	some hid, row in index.by_host
	h := lib.routing_hosts[hid]
	not index.enabled(hid)
	not index.host_ha(hid)
	not object.get(index.ha_vms_in_cluster, lib.key(h.cluster_id), 0) > 0
	f := {
		"resource": lib.host_resource(hid, h),
		"message": sprintf("out-of-band management of host %s is configured (%v %v) but disabled", [h.name, row.driver, row.address]),
		"evidence": {"driver": row.driver, "address": row.address, "power_state": row.power_state},
	}
}
