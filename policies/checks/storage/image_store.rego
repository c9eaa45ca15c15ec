# METADATA
# title: Secondary storage single, read-only or nearly full
# description: >-
#   An enabled zone has only one image store (templates, ISOs and snapshot backups have no
#   second copy target; low), an image store is marked read-only (no new templates or
#   snapshot backups land there; medium when it is the zone's only writable store), or an
#   image store's used_bytes / total_size exceeds secondary.storage.capacity.threshold
#   (default 0.90; medium). Seed 003 recommends more than one secondary storage per zone;
#   seed 000 notes resets fail when secondary storage is unreachable.
# custom:
#   id: CSA-STOR-003
#   severity: medium
#   category: storage
#   remediation:
#     summary: Add a second image store to the zone, make the store writable again, or free/grow its space.
#     commands:
#       - kind: cmk
#         text: cmk list imagestores zoneid=<zone uuid> filter=name,protocol,readonly,url
#       - kind: cmk
#         text: cmk update imagestore id={uuid} readonly=false
#   references:
#     - seed:003_890368c12d4364b1.txt (secondary storage)
#     - seed:000_bd9184fa1d57f2b2.txt (unreachable secondary storage)
#     - cloudstack:setting secondary.storage.capacity.threshold
#   controls: [availability, storage, backup]
#   requires: [db.image_store, db.data_center, settings]
package csaudit.checks.storage.image_store

import data.csaudit.lib

stores := {id: s |
	some id, s in object.get(input.db, "image_store", {})
	s.removed == null
	object.get(s, "role", "Image") == "Image"
}

stores_in_zone[lib.key(s.data_center_id)] contains id if some id, s in stores

writable_in_zone[lib.key(s.data_center_id)] contains id if {
	some id, s in stores
	not lib.truthy(object.get(s, "readonly", false))
}

store_resource(id, s) := {"type": "image_store", "id": id, "uuid": s.uuid, "name": s.name}

deny contains f if {
	some zid, z in lib.zones
	z.allocation_state == "Enabled"
	count(object.get(stores_in_zone, zid, set())) == 1
	f := {
		"resource": lib.zone_resource(zid, z),
		"severity": "low",
		"discriminator": "single-image-store",
		"message": sprintf("zone %s has a single image store", [z.name]),
		"evidence": {"image_stores": count(stores_in_zone[zid])},
	}
}

deny contains f if {
	some id, s in stores
	lib.truthy(s.readonly)
	zid := lib.key(s.data_center_id)
	f := {
		"resource": store_resource(id, s),
		"severity": readonly_severity(zid),
		"discriminator": "readonly",
		"message": sprintf("image store %s is read-only (%d writable stores left in its zone)", [s.name, count(object.get(writable_in_zone, zid, set()))]),
		"evidence": {"readonly": true, "writable_in_zone": count(object.get(writable_in_zone, zid, set()))},
	}
}

readonly_severity(zid) := "medium" if count(object.get(writable_in_zone, zid, set())) == 0

else := "low"

deny contains f if {
	some id, s in stores
	total := to_number(object.get(s, "total_size", 0))
	total > 0
	ratio := to_number(s.used_bytes) / total
	t := to_number(lib.setting("secondary.storage.capacity.threshold"))
	ratio > t
	f := {
		"resource": store_resource(id, s),
		"discriminator": "full",
		"message": sprintf("image store %s is %d%% used (threshold %d%%)", [s.name, round(ratio * 100), round(t * 100)]),
		"evidence": {"used_bytes": s.used_bytes, "total_size": total, "threshold": t},
	}
}
