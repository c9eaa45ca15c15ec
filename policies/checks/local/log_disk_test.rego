package csaudit.checks.local.log_disk_test

import data.csaudit.checks.local.log_disk as check
import data.csaudit.testlib

snap(pct) := testlib.with_local(testlib.snapshot({}), {"hostname": "ms-1", "log_disk": {"path": "/var/log/cloudstack", "free_pct": pct, "free_bytes": 1073741824}})

test_three_percent_free_is_flagged if {
	count(check.deny) == 1 with input as snap(3)
}

test_forty_percent_free_passes if {
	count(check.deny) == 0 with input as snap(40)
}
