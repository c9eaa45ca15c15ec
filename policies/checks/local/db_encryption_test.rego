package csaudit.checks.local.db_encryption_test

import data.csaudit.checks.local.db_encryption as check
import data.csaudit.testlib

snap(t, v) := testlib.with_local(testlib.snapshot({}), {"hostname": "ms-1", "db_properties": {"encryption_type": t, "encryptor_version": v}})

test_plain_text_is_high if {
	some f in check.deny with input as snap("none", "")
	f.severity == "high"
}

test_v1_is_medium if {
	some f in check.deny with input as snap("file", "V1")
	f.severity == "medium"
}

test_v2_passes if {
	count(check.deny) == 0 with input as snap("file", "V2")
}

test_absent_encryptor_version_falls_back_to_v1 if {
	some f in check.deny with input as snap("file", "")
	f.severity == "medium"
	contains(f.message, "falls back")
	some g in check.deny with input as testlib.with_local(testlib.snapshot({}), {"hostname": "ms-1", "db_properties": {"encryption_type": "file"}})
	g.severity == "medium"
}
