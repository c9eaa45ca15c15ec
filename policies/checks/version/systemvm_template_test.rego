package csaudit.checks.version.systemvm_template_test

import data.csaudit.checks.version.systemvm_template as check
import data.csaudit.testlib

db(tname, state) := {
	"mshost": {"1": testlib.mshost(1, {})},
	"cluster": {"1": testlib.cluster(1, {})},
	"vm_template": {"9": {"id": 9, "uuid": "uuid-t-9", "name": tname, "type": "SYSTEM", "removed": null, "state": "Active"}},
	"image_store": {"1": {"id": 1, "data_center_id": 1, "role": "Image", "removed": null}},
	"template_store_ref": {"5": {"id": 5, "store_id": 1, "template_id": 9, "download_state": state, "destroyed": 0}},
}

test_downloaded_current_template_passes if {
	count(check.deny) == 0 with input as testlib.snapshot(db("systemvm-kvm-4.22.0-x86_64", "DOWNLOADED"))
}

test_only_old_template_is_flagged if {
	some f in check.deny with input as testlib.snapshot(db("systemvm-kvm-4.20.0-x86_64", "DOWNLOADED"))
	f.resource.name == "systemvm-kvm-4.22.0-x86_64"
}

test_template_not_downloaded_is_flagged if {
	some f in check.deny with input as testlib.snapshot(db("systemvm-kvm-4.22.0-x86_64", "DOWNLOAD_IN_PROGRESS"))
	f.resource.id == "9"
}

# Registered before multi-arch (4.20) naming: accepted for x86_64 clusters.
test_pre_multi_arch_name_is_accepted if {
	count(check.deny) == 0 with input as testlib.snapshot(db("systemvm-kvm-4.22.0", "DOWNLOADED"))
}

test_pre_multi_arch_name_of_an_old_release_is_flagged if {
	some f in check.deny with input as testlib.snapshot(db("systemvm-kvm-4.19.0", "DOWNLOADED"))
	f.resource.name == "systemvm-kvm-4.22.0-x86_64"
}

test_pre_multi_arch_name_does_not_serve_arm64 if {
	s := testlib.snapshot(object.union(db("systemvm-kvm-4.22.0", "DOWNLOADED"), {"cluster": {"1": testlib.cluster(1, {"arch": "aarch64"})}}))
	some f in check.deny with input as s
	f.resource.name == "systemvm-kvm-4.22.0-aarch64"
}

test_legacy_template_not_downloaded_is_flagged if {
	some f in check.deny with input as testlib.snapshot(db("systemvm-kvm-4.22.0", "DOWNLOAD_IN_PROGRESS"))
	f.resource.name == "systemvm-kvm-4.22.0"
}
