# METADATA
# title: Volumes not encrypted at rest
# description: >-
#   Volumes of a zone use disk offerings without encryption (disk_offering.encrypt).
#   Seed 001 points to CloudStack's volume encryption framework for data at rest: a
#   volume is encrypted only when created from an offering with encrypt=true, on a pool
#   type that supports it (NFS, local Filesystem, SharedMountPoint, RBD, PowerFlex,
#   StorPool with KVM, Linstor). One finding per zone with the counts per offering, not
#   one per volume. Low: a weaker-than-recommended default. The root disks of system VMs
#   (offerings of system service offerings) hold no tenant data and are not counted.
# custom:
#   id: CSA-STOR-005
#   severity: low
#   category: storage
#   remediation:
#     summary: >-
#       Offer encrypted disk and compute offerings and move tenants to them; existing
#       volumes are encrypted only when recreated (new volume, snapshot restore or migration
#       to an encrypted offering), never in place.
#     steps:
#       - List the offerings in use without encryption (the evidence names them).
#       - Check that the zone's primary storage types support encryption for the hypervisor.
#       - Create encrypted counterparts (createDiskOffering encrypt=true, createServiceOffering encryptroot=true) and make them the defaults for new volumes.
#     commands:
#       - kind: cmk
#         text: cmk list diskofferings encrypt=false filter=id,name,encrypt
#       - kind: cmk
#         text: cmk list storagepools zoneid={uuid} filter=name,type,scope
#   references:
#     - seed:001_846adba9a861db0c.txt (volume encryption)
#     - cloudstack:api createDiskOffering encrypt, createServiceOffering encryptroot
#   controls: [hardening, storage, encryption]
#   requires: [db.volumes, db.disk_offering, db.service_offering, db.data_center]
package csaudit.checks.storage.volume_encryption

import data.csaudit.lib

# Disk offerings behind system service offerings (system VM root disks).
system_disk_offerings := {lib.key(so.disk_offering_id) |
	some so in object.get(input.db, "service_offering", {})
	lib.truthy(so.system_use)
	so.disk_offering_id != null
}

encrypted(oid) if lib.truthy(object.get(object.get(input.db.disk_offering, oid, {}), "encrypt", false))

offering_name(oid) := object.get(object.get(input.db.disk_offering, oid, {}), "name", oid)

deny contains f if {
	some zid, by_offering in lib.group("volumes", "data_center_id/disk_offering_id", "id")
	z := lib.zones[zid]
	counted := {oid: count(vols) | some oid, vols in by_offering; not system_disk_offerings[oid]}
	plain := {offering_name(oid): n | some oid, n in counted; not encrypted(oid)}
	unencrypted := sum([n | some n in plain])
	unencrypted > 0
	total := sum([n | some n in counted])
	f := {
		"resource": lib.zone_resource(zid, z),
		"message": sprintf("zone %s: %d of %d volumes use disk offerings without encryption", [z.name, unencrypted, total]),
		"evidence": {"volumes": total, "unencrypted": unencrypted, "by_offering": plain},
	}
}
