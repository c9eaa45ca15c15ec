package csaudit.checks.hardening.ms_secret_files_test

import data.csaudit.checks.hardening.ms_secret_files as check
import data.csaudit.testlib

files(mode, perm) := {"files": {"files": {"/etc/cloudstack/management/db.properties": {
	"exists": true, "mode": mode, "perm": perm, "owner": "root", "group": "cloud",
}}}}

test_world_readable_db_properties_is_flagged if {
	snap := testlib.with_local(testlib.snapshot({}), files("0644", 420))
	count(check.deny) == 1 with input as snap
}

test_packaged_0640_is_quiet if {
	snap := testlib.with_local(testlib.snapshot({}), files("0640", 416))
	count(check.deny) == 0 with input as snap
}

test_group_writable_is_flagged if {
	snap := testlib.with_local(testlib.snapshot({}), files("0660", 432))
	count(check.deny) == 1 with input as snap
}
