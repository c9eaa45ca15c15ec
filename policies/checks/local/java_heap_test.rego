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
