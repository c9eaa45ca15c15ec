package csaudit.checks.local.central_syslog_test

import data.csaudit.checks.local.central_syslog as check
import data.csaudit.testlib

snap(syslog) := testlib.with_local(testlib.snapshot({"mshost": {"1": testlib.mshost(1, {})}}), {"hostname": "ms-1", "syslog": syslog})

local_only := {"log4j_file": "/etc/cloudstack/management/log4j-cloud.xml", "syslog_files": ["/etc/rsyslog.conf"]}

test_no_remote_target_is_low if {
	fs := check.deny with input as snap(local_only)
	count(fs) == 1
	some f in fs
	f.resource == {"type": "management_server", "id": "1", "name": "ms-1"}
	f.evidence.syslog_files == ["/etc/rsyslog.conf"]
}

test_rsyslog_forward_is_quiet if {
	count(check.deny) == 0 with input as snap(object.union(local_only, {"forwards": ["tcp siem.example.net:6514"]}))
}

test_log4j_remote_appender_is_quiet if {
	count(check.deny) == 0 with input as snap(object.union(local_only, {"log4j_remote": ["Syslog SYSLOG -> logs.example.net"]}))
}

test_fact_missing_finds_nothing if {
	count(check.deny) == 0 with input as testlib.snapshot({})
}
