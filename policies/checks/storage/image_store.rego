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
#     summary: "Look at the zone's image stores first; the finding's own remediation fits it: a single store is fixed by adding a second one (addImageStore), a read-only store by making it writable once its migration or maintenance is over, a full one by adding space or a store."
#     commands:
#       - kind: cmk
#         text: "cmk list imagestores filter=id,name,zonename,protocol,readonly,url"
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
		"remediation": {
			"summary": "One image store holds every template, ISO and snapshot backup of the zone: add a second one (addImageStore) so a failure or maintenance of one does not stop them. Making a store read-only does not help here.",
			"commands": [
				{"kind": "cmk", "text": "cmk list imagestores zoneid={uuid} filter=id,name,protocol,readonly,url"},
				{"kind": "cmk", "text": "cmk add imagestore name=<store-name> provider=NFS zoneid={uuid} url=nfs://<server>/<export>"},
			],
		},
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
		"remediation": {
			"summary": "The store takes no new data. Find out why it was made read-only (a data migration, a planned removal); when that is over, make it writable again, or add another store to the zone.",
			"commands": [
				{"kind": "cmk", "text": "cmk list imagestores id={uuid} filter=id,name,readonly,url,zonename"},
				{"kind": "cmk", "text": "cmk update imagestore id={uuid} readonly=false"},
			],
		},
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
		"remediation": {
			"summary": "Free space (delete unused templates and old snapshots), grow the export, or add another image store to the zone and move data to it (migrateSecondaryStorageData).",
			"commands": [
				{"kind": "cmk", "text": "cmk list imagestores id={uuid} filter=id,name,disksizetotal,disksizeused,zonename"},
				{"kind": "cmk", "text": "cmk add imagestore name=<store-name> provider=NFS zoneid={zone_uuid} url=nfs://<server>/<export>"},
				{"kind": "cmk", "text": "cmk migrate secondarystoragedata srcpool={uuid} destpools=<new-store-uuid>"},
			],
		},
		"args": {"zone_uuid": object.get(lib.zones, [lib.key(s.data_center_id), "uuid"], "")},
	}
}
