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
#     summary: "Find out why the pool is not Up (storage server, network, mounts on the hosts, maintenance) before changing anything; the finding's own remediation fits its state."
#     commands:
#       - kind: cmk
#         text: "cmk list storagepools id={uuid} filter=name,state,type,ipaddress,path,scope"
#       - kind: cmk
#         text: "cmk list volumes storageid={uuid} listall=true filter=name,state,vmname"
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
		"remediation": remediation(p),
		"args": {"path": object.get(p, "path", "")},
	}
}

list_pool := {"kind": "cmk", "text": "cmk list storagepools id={uuid} filter=name,state,type,ipaddress,path,scope"}

list_volumes := {"kind": "cmk", "text": "cmk list volumes storageid={uuid} listall=true filter=name,state,vmname"}

# cancelStorageMaintenance accepts a pool in Maintenance or
# ErrorInMaintenance; it refuses one still in PrepareForMaintenance.
remediation(p) := {
	"summary": "The pool is in (or failed entering) maintenance: its volumes' VMs were stopped or migrated. Find what maintenance is for and whether it finished; cancel it through the API only when the pool is ready to serve again.",
	"commands": [list_pool, list_volumes, {"kind": "cmk", "text": "cmk cancel storagemaintenance id={uuid}"}],
} if {
	p.status in {"Maintenance", "ErrorInMaintenance"}
} else := {
	"summary": "The pool is still entering maintenance: CloudStack is stopping or migrating the VMs on it, and cancelStorageMaintenance refuses it in this state. Find which VM or volume it waits on (management-server.log); it ends in Maintenance or ErrorInMaintenance, and only then can maintenance be cancelled.",
	"commands": [list_pool, list_volumes, {"kind": "shell", "text": "grep -F -e {uuid} /var/log/cloudstack/management/management-server.log | tail -20"}],
} if {
	p.status == "PrepareForMaintenance"
} else := {
	"summary": "The pool is Disabled: it serves its volumes but takes no new ones. Enable it when the reason it was disabled is gone.",
	"commands": [list_pool, {"kind": "cmk", "text": "cmk update storagepool id={uuid} enabled=true"}],
} if {
	p.status == "Disabled"
} else := {
	"summary": "Restore access to the pool (storage server, network, the mount on the hosts); CloudStack brings it Up when the hosts report it again. Nothing to change in CloudStack before that.",
	"steps": [
		"Look at the pool and the volumes on it.",
		"On the hosts of its scope: is it mounted, and does libvirt see it active?",
		"Fix the storage server or network, then reconnect a host if the pool stays down.",
	],
	"commands": [list_pool, list_volumes, {"kind": "shell", "text": "grep -F -e {path} /proc/mounts; virsh -r pool-list --all"}],
}

severity(p) := "info" if p.status in parked

else := "high"
