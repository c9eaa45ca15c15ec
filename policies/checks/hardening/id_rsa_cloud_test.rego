package csaudit.checks.hardening.id_rsa_cloud_test

import data.csaudit.checks.hardening.id_rsa_cloud as check
import data.csaudit.testlib

facts(mode, perm) := {"uuid-host-1": {"files": {"files": {"/root/.ssh/id_rsa.cloud": {
	"exists": true, "mode": mode, "perm": perm, "owner": "root", "group": "root",
}}}}}

test_0644_is_flagged if {
	snap := testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), facts("0644", 420))
	testlib.ids(check.deny) == {"1"} with input as snap
}

test_0600_is_quiet if {
	snap := testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), facts("0600", 384))
	count(check.deny) == 0 with input as snap
}

test_stricter_0400_is_quiet if {
	snap := testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), facts("0400", 256))
	count(check.deny) == 0 with input as snap
}

test_group_readable_0640_is_flagged if {
	snap := testlib.with_hosts(testlib.snapshot({"host": {"1": testlib.host(1, {})}}), facts("0640", 416))
	testlib.ids(check.deny) == {"1"} with input as snap
}
