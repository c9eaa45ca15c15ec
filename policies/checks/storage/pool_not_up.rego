# METADATA
# title: Primary storage pool not Up
# description: >-
#   A primary storage pool's status is not Up (e.g. Initial, ErrorInMaintenance,
#   PrepareForMaintenance, CancelMaintenance, or an unknown value). VMs with volumes there
#   cannot start, migrate or take snapshots, and on KVM a pool lost while VMs run on it
#   triggers heartbeat fencing. High per the rubric ("primary storage not Up"). A pool an
#   administrator put in Maintenance or Disabled on purpose is info. Source:
#   StoragePoolStatus (states.md).
# custom:
#   id: CSA-STOR-001
#   severity: high
#   category: storage
#   remediation:
#     summary: Restore access to the pool (storage server, network, mount on the hosts) or finish/cancel its maintenance.
#     commands:
#       - kind: cmk
#         text: cmk list storagepools id={uuid} filter=name,state,type,ipaddress,path
#       - kind: cmk
#         text: cmk cancel storagemaintenance id={uuid}
#   references:
#     - cloudstack:api/src/main/java/com/cloud/storage/StoragePoolStatus.java
#     - seed:000_bd9184fa1d57f2b2.txt (storage connectivity, impact 9)
#   controls: [availability, storage]
#   requires: [db.storage_pool]
package csaudit.checks.storage.pool_not_up

import data.csaudit.lib

parked := {"Maintenance", "Disabled"}

deny contains f if {
	some id, p in object.get(input.db, "storage_pool", {})
	p.removed == null
	p.status != "Up"
	f := {
		"resource": lib.pool_resource(id, p),
		"severity": severity(p),
		"message": sprintf("primary storage %s is %v", [p.name, p.status]),
		"evidence": {"status": p.status, "scope": object.get(p, "scope", null), "cluster_id": object.get(p, "cluster_id", null), "pool_type": object.get(p, "pool_type", null)},
	}
}

severity(p) := "info" if p.status in parked

else := "high"
