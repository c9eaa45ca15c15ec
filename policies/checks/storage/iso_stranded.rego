# METADATA
# title: Attached ISO has no usable copy on the zone's image stores
# description: >-
#   A VM has an ISO attached (user_vm.iso_id) and every copy of that ISO
#   (template_store_ref) lives on an image store that is removed, read-only
#   (CloudStack's way of draining a store before decommissioning it), in
#   another zone, or not fully downloaded. Starting, rebooting or resetting
#   the VM makes CloudStack prepare the ISO from secondary storage, which then
#   fails (seed 000, "Can I reset a VM with attached ISOs?"). Medium: the VM
#   cannot be restarted until the ISO is detached or copied back. ISOs
#   bypassing secondary storage (direct download) and per-host ISOs
#   (xs-tools) have no store copy by design and are not judged.
# custom:
#   id: CSA-STOR-004
#   severity: medium
#   category: storage
#   remediation:
#     summary: >-
#       Check where the ISO's copies are, then either detach the ISO (when the VM no longer
#       needs it) or bring a copy back to a writable store of the VM's zone before the next
#       reset or restart.
#     steps:
#       - List the ISO's copies and their stores (the evidence names them).
#       - Confirm with the VM's owner that the ISO is no longer needed, or copy it to a live store of the zone.
#       - Detach the ISO; the VM keeps running and its next start no longer needs secondary storage.
#     commands:
#       - kind: cmk
#         text: cmk list virtualmachines id={uuid} filter=name,state,isoid,isoname
#       - kind: cmk
#         text: cmk list imagestores filter=id,name,zoneid,readonly
#       - kind: cmk
#         text: cmk detach iso virtualmachineid={uuid}
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (Can I reset a VM with attached ISOs?)
#     - cloudstack:api detachIso, updateImageStore (readonly)
#   controls: [availability, storage]
#   requires: [db.vm_instance, db.user_vm, db.vm_template, db.template_store_ref, db.image_store]
package csaudit.checks.storage.iso_stranded

import data.csaudit.lib

# ISO id -> ids of the user VMs it is attached to.
attached := lib.group("user_vm", "iso_id", "id")

refs_by_template[lib.key(r.template_id)] contains id if some id, r in object.get(input.db, "template_store_ref", {})

# Why one copy cannot serve a VM of zone zid; empty when it can.
reasons(r, zid) := ((({"store no longer exists" | not store_of(r)} | {"store removed" | store_of(r).removed != null}) | ({"store read-only" | lib.truthy(object.get(store_of(r), "readonly", false))} | {"store in another zone" | other_zone(r, zid)})) | {"copy not downloaded" | r.download_state != "DOWNLOADED"}) | ({"copy destroyed" | lib.truthy(object.get(r, "destroyed", false))} | {sprintf("copy in state %v", [r.state]) | not object.get(r, "state", "Ready") in {"Ready", null}})

store_of(r) := input.db.image_store[lib.key(r.store_id)]

other_zone(r, zid) if {
	store_of(r).data_center_id != null
	lib.key(store_of(r).data_center_id) != zid
}

# ISOs whose copies are not expected on secondary storage.
exempt(t) if lib.truthy(object.get(t, "direct_download", false))

exempt(t) if t.type == "PERHOST"

store_name(sid) := object.get(object.get(input.db.image_store, sid, {}), "name", sid)

deny contains f if {
	some iso, vmids in attached
	t := object.get(input.db.vm_template, iso, {"name": iso, "uuid": null, "type": "USER"})
	not exempt(t)
	some vmid, _ in vmids
	vm := lib.live_vm(vmid)
	not vm.state in {"Destroyed", "Expunging"} # never started again unless recovered
	zid := lib.key(vm.data_center_id)
	refs := object.get(refs_by_template, iso, set())
	copies := {rid: why |
		some rid in refs
		why := reasons(input.db.template_store_ref[rid], zid)
	}
	every _, why in copies {
		count(why) > 0
	}
	stores := sort([sprintf("%s (%s)", [store_name(lib.key(r.store_id)), concat(", ", sort(copies[rid]))]) |
		some rid in refs
		r := input.db.template_store_ref[rid]
	])
	f := {
		"resource": lib.vm_resource(vmid, vm),
		"message": sprintf("VM %s has ISO %s attached, which has no usable copy in zone %s: %s", [vm.instance_name, t.name, zone_name(zid), copies_text(stores)]),
		"evidence": {"iso_id": iso, "iso_uuid": t.uuid, "iso_name": t.name, "zone_id": zid, "copies": stores},
	}
}

copies_text(stores) := "no copy on any image store" if count(stores) == 0

else := concat("; ", stores)

zone_name(zid) := object.get(object.get(lib.zones, zid, {}), "name", zid)
