package csaudit.checks.storage.volume_encryption_test

import data.csaudit.checks.storage.volume_encryption as check
import data.csaudit.testlib

offering(id, name, enc) := {"id": id, "uuid": sprintf("do-%d", [id]), "name": name, "encrypt": enc, "removed": null}

vol(id, offering) := {"id": id, "uuid": sprintf("vol-%d", [id]), "data_center_id": 1, "disk_offering_id": offering, "state": "Ready", "removed": null}

snap(vols) := testlib.snapshot({
	"data_center": {"1": testlib.zone(1, {})},
	"disk_offering": {"1": offering(1, "Small", false), "2": offering(2, "Encrypted", true), "7": offering(7, "System SSVM", false)},
	"service_offering": {"7": {"id": 7, "system_use": true, "disk_offering_id": 7}},
	"volumes": vols,
})

test_unencrypted_volumes_counted_per_zone if {
	fs := check.deny with input as snap({"1": vol(1, 1), "2": vol(2, 1), "3": vol(3, 2), "4": vol(4, 7)})
	count(fs) == 1
	some f in fs
	f.resource.type == "zone"
	f.evidence.unencrypted == 2
	f.evidence.volumes == 3
	f.evidence.by_offering == {"Small": 2}
}

test_all_encrypted_is_quiet if {
	count(check.deny) == 0 with input as snap({"3": vol(3, 2), "4": vol(4, 7)})
}

test_removed_volumes_not_counted if {
	count(check.deny) == 0 with input as snap({"1": object.union(vol(1, 1), {"removed": "2026-11-22T09:00:00Z"}), "3": vol(3, 2)})
}
