package csaudit.checks.local.java_heap_test

import data.csaudit.checks.local.java_heap as check
import data.csaudit.testlib

snap(mb) := testlib.with_local(testlib.snapshot({}), {"hostname": "ms-1", "java_heap": {"max_mb": mb}})

test_one_gigabyte_is_flagged if {
	count(check.deny) == 1 with input as snap(1024)
}

test_four_gigabytes_pass if {
	count(check.deny) == 0 with input as snap(4096)
}

# The finding names the management server as the local collector does, with its
# mshost row id when one live row matches the host name (the FQDN's first label
# matches too); never the row's uuid, so its id is the same without the database.
test_resource_joined_to_mshost if {
	s := testlib.with_local(
		testlib.snapshot({"mshost": {"1": testlib.mshost(1, {}), "2": testlib.mshost(2, {})}}),
		{"hostname": "MS-2.example.org", "java_heap": {"max_mb": 1024}},
	)
	{f.resource | some f in check.deny with input as s} == {{"type": "management_server", "id": "2", "name": "MS-2.example.org"}}
}

test_resource_without_a_single_match_is_the_name if {
	dup := testlib.mshost(3, {"name": "ms-1.other.org"})
	s := testlib.with_local(
		testlib.snapshot({"mshost": {"1": testlib.mshost(1, {"name": "ms-1.example.org"}), "3": dup}}),
		{"hostname": "ms-1", "java_heap": {"max_mb": 1024}},
	)
	{f.resource | some f in check.deny with input as s} == {{"type": "management_server", "name": "ms-1"}}
}
