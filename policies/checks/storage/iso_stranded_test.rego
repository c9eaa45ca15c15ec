package csaudit.checks.storage.iso_stranded_test

import data.csaudit.checks.storage.iso_stranded as check
import data.csaudit.testlib

iso := {"id": 300, "uuid": "uuid-iso-300", "name": "rescue.iso", "type": "USER", "format": "ISO", "direct_download": false, "removed": null}

store(id, fields) := object.union({"id": id, "uuid": sprintf("uuid-store-%d", [id]), "name": sprintf("nfs-%d", [id]), "data_center_id": 1, "role": "Image", "readonly": false, "removed": null}, fields)

ref(id, sid) := {"id": id, "store_id": sid, "template_id": 300, "store_role": "Image", "download_state": "DOWNLOADED", "state": "Ready", "destroyed": false}

snap(stores, refs, t) := testlib.snapshot({
	"vm_instance": {"5": testlib.vm(5, {})},
	"user_vm": {"5": {"id": 5, "display_name": "app", "iso_id": 300}},
	"vm_template": {"300": t},
	"image_store": stores,
	"template_store_ref": refs,
})

test_iso_on_decommissioned_store if {
	fs := check.deny with input as snap({"1": store(1, {"readonly": true}), "2": store(2, {"removed": "2026-11-01T00:00:00Z"})}, {"10": ref(10, 1), "11": ref(11, 2)}, iso)
	count(fs) == 1
	some f in fs
	f.resource.type == "vm"
	f.resource.id == "5"
	contains(f.message, "rescue.iso")
	f.evidence.copies == ["nfs-1 (store read-only)", "nfs-2 (store removed)"]
}

test_iso_without_any_copy if {
	some f in check.deny with input as snap({}, {}, iso)
	contains(f.message, "no copy on any image store")
}

test_iso_copy_only_in_another_zone if {
	some f in check.deny with input as snap({"1": store(1, {"data_center_id": 2})}, {"10": ref(10, 1)}, iso)
	f.evidence.copies == ["nfs-1 (store in another zone)"]
}

test_iso_on_live_store_is_quiet if {
	count(check.deny) == 0 with input as snap({"1": store(1, {"readonly": true}), "2": store(2, {})}, {"10": ref(10, 1), "11": ref(11, 2)}, iso)
}

test_region_wide_store_serves_every_zone if {
	count(check.deny) == 0 with input as snap({"1": store(1, {"data_center_id": null})}, {"10": ref(10, 1)}, iso)
}

test_direct_download_iso_is_not_judged if {
	count(check.deny) == 0 with input as snap({}, {}, object.union(iso, {"direct_download": true}))
}

test_removed_vm_is_quiet if {
	s := snap({}, {}, iso)
	count(check.deny) == 0 with input as object.union(s, {"db": {"vm_instance": {"5": testlib.vm(5, {"removed": "2026-11-22T09:00:00Z"})}}})
}

test_destroyed_vm_is_quiet if {
	s := snap({}, {}, iso)
	count(check.deny) == 0 with input as object.union(s, {"db": {"vm_instance": {"5": testlib.vm(5, {"state": "Destroyed"})}}})
}
