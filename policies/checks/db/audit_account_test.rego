package csaudit.checks.db.audit_account_test

import data.csaudit.checks.db.audit_account as check
import data.csaudit.testlib

snap(identity) := object.union(testlib.snapshot({}), {"meta": {"db_now": testlib.now, "database": identity}})

identity(account, can_write) := {
	"hostname": "db1", "port": 3306, "schema": "cloud", "account": account, "can_write": can_write,
	"grants": ["GRANT SELECT ON `cloud`.* TO `csaudit_ro`@`%`"],
}

test_select_only_account_is_quiet if {
	count(check.deny) == 0 with input as snap(identity("csaudit_ro@%", false))
}

test_writing_account_is_medium if {
	some f in check.deny with input as snap(identity("csaudit_ro@%", true))
	not f.severity
	f.resource.type == "database"
}

test_cloud_account_is_low if {
	some f in check.deny with input as snap(identity("cloud@localhost", false))
	f.severity == "low"
}
