# METADATA
# title: Primary storage pool nearly full
# description: >-
#   A primary storage pool's used_bytes / capacity_bytes is above the effective
#   pool.storage.capacity.disablethreshold (StoragePool or Zone override, else global;
#   default 0.85; param storage_pool_full_ratio overrides): the allocator no longer places
#   volumes there, and thin-provisioned volumes that keep growing can fill it, which
#   pauses every VM writing to it. Medium: a capacity problem with an outage path.
#   Source: CloudStack setting pool.storage.capacity.disablethreshold.
# custom:
#   id: CSA-STOR-002
#   severity: medium
#   category: storage
#   remediation:
#     summary: Free space (expunge destroyed volumes, delete old snapshots), migrate volumes away, or grow the pool.
#     commands:
#       - kind: cmk
#         text: cmk list storagepools id={uuid} filter=name,disksizetotal,disksizeused,disksizeallocated
#   references:
#     - cloudstack:setting pool.storage.capacity.disablethreshold
#   controls: [capacity, storage]
#   requires: [db.storage_pool, settings]
package csaudit.checks.storage.pool_full

import data.csaudit.lib

threshold(id, p) := lib.param_or("storage_pool_full_ratio", to_number(lib.effective_setting("pool.storage.capacity.disablethreshold", {"storage_pool": id, "zone": p.data_center_id})))

deny contains f if {
	some id, p in object.get(input.db, "storage_pool", {})
	p.removed == null
	to_number(p.capacity_bytes) > 0
	ratio := to_number(p.used_bytes) / to_number(p.capacity_bytes)
	t := threshold(id, p)
	ratio > t
	f := {
		"resource": lib.pool_resource(id, p),
		"message": sprintf("primary storage %s is %d%% used (threshold %d%%)", [p.name, round(ratio * 100), round(t * 100)]),
		"evidence": {"used_bytes": p.used_bytes, "capacity_bytes": p.capacity_bytes, "ratio": ratio, "threshold": t},
	}
}
