package csaudit.checks.storage.image_store_test

import data.csaudit.checks.storage.image_store as check
import data.csaudit.testlib

store(id, ro, used) := {"id": id, "uuid": sprintf("u%d", [id]), "name": sprintf("nfs-%d", [id]), "data_center_id": 1, "role": "Image", "removed": null, "readonly": ro, "total_size": 100, "used_bytes": used}

snap(stores) := testlib.with_settings(
	testlib.snapshot({"data_center": {"1": testlib.zone(1, {})}, "image_store": stores}),
	{"secondary.storage.capacity.threshold": testlib.default_of("0.90")},
)

test_single_store_is_low if {
	some f in check.deny with input as snap({"1": store(1, 0, 10)})
	f.severity == "low"
	f.resource.type == "zone"
}

test_only_store_read_only_is_medium if {
	some f in check.deny with input as snap({"1": store(1, 1, 10), "2": store(2, 1, 10)})
	f.discriminator == "readonly"
	f.severity == "medium"
}

test_full_store_is_flagged if {
	some f in check.deny with input as snap({"1": store(1, 0, 95), "2": store(2, 0, 10)})
	f.discriminator == "full"
}

test_two_healthy_stores_pass if {
	count(check.deny) == 0 with input as snap({"1": store(1, 0, 10), "2": store(2, 0, 10)})
}

# The zone's finding passes the zone's uuid only as zoneid; a store's finding
# uses the store's own id.
test_single_store_is_fixed_by_adding_one if {
	some f in check.deny with input as snap({"1": store(1, 0, 10)})
	cmds := [c.text | some c in f.remediation.commands]
	cmds[1] == "cmk add imagestore name=<store-name> provider=NFS zoneid={uuid} url=nfs://<server>/<export>"
	f.resource.uuid == "uuid-zone-1"
	every t in cmds {
		not contains(t, "imagestore id=")
		not contains(t, "readonly=false")
	}
}

test_full_store_adds_to_its_zone if {
	some f in check.deny with input as snap({"1": store(1, 0, 95), "2": store(2, 0, 10)})
	f.discriminator == "full"
	f.args.zone_uuid == "uuid-zone-1"
	f.resource.uuid == "u1"
}
