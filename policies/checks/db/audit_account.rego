# METADATA
# title: The audit database account can write
# description: >-
#   The account csaudit reads CloudStack's database with holds privileges beyond SELECT on
#   the CloudStack schema (SHOW GRANTS as recorded by the database collector), or is
#   CloudStack's own `cloud` account. An auditor needs only SELECT; a config file or host
#   that leaks a writing account lets anyone who finds it change CloudStack's state.
#   DESIGN.md (least privilege, "auditing never writes") and the collector's documented
#   grants. Medium per the rubric: a hardening deviation with a real attack path; low when
#   the account is `cloud` but the grants could not be read as writing.
# custom:
#   id: CSA-DB-001
#   severity: medium
#   category: hardening
#   remediation:
#     summary: "Audit with a dedicated SELECT-only account: see what the configured account may do, create the read-only account, point csaudit's database.dsn at it, and only then revoke the writing grants if nothing else uses them."
#     commands:
#       - kind: sql
#         text: "SHOW GRANTS FOR CURRENT_USER();"
#       - kind: sql
#         text: "CREATE USER 'csaudit_ro'@'10.0.0.%' IDENTIFIED BY '<password>'; GRANT SELECT ON cloud.* TO 'csaudit_ro'@'10.0.0.%';"
#   references:
#     - "csaudit:DESIGN.md (Safety rules: auditing never writes; least privilege)"
#     - csaudit:docs/database.md (the audit account)
#   controls: [access-control, least-privilege]
#   requires: [db.identity]
package csaudit.checks.db.audit_account

db := input.meta.database

cloud_account if {
	[user, _] := split(db.account, "@")
	user == "cloud"
}

deny contains f if {
	db.can_write
	f := {
		"resource": {"type": "database", "name": sprintf("%s:%v/%s", [db.hostname, db.port, db.schema])},
		"message": sprintf("the audit account %s can write to %s", [db.account, db.schema]),
		"evidence": {"account": db.account, "grants": object.get(db, "grants", [])},
	}
}

deny contains f if {
	not db.can_write
	cloud_account
	f := {
		"resource": {"type": "database", "name": sprintf("%s:%v/%s", [db.hostname, db.port, db.schema])},
		"severity": "low",
		"message": sprintf("csaudit connects as CloudStack's own account %s; a dedicated read-only account is safer", [db.account]),
		"evidence": {"account": db.account},
	}
}
