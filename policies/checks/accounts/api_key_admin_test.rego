package csaudit.checks.accounts.api_key_admin_test

import data.csaudit.checks.accounts.api_key_admin as check
import data.csaudit.testlib

roles := {
	"1": {"id": 1, "uuid": "r1", "name": "Root Admin", "role_type": "Admin", "removed": null},
	"4": {"id": 4, "uuid": "r4", "name": "User", "role_type": "User", "removed": null},
}

account(id, role, fields) := object.union({"id": id, "uuid": sprintf("a%d", [id]), "account_name": sprintf("acct-%d", [id]), "type": 0, "role_id": role, "state": "enabled", "api_key_access": null, "removed": null}, fields)

user(id, acct, fields) := object.union({"id": id, "uuid": sprintf("u%d", [id]), "username": sprintf("user-%d", [id]), "account_id": acct, "state": "enabled", "has_api_key": true, "api_key_access": null, "removed": null}, fields)

snap(users) := testlib.snapshot({
	"roles": roles,
	"account": {"2": account(2, 1, {"account_name": "admin", "type": 1}), "3": account(3, 4, {}), "5": account(5, 1, {"account_name": "ops"})},
	"user": users,
})

test_default_admin_key_is_medium if {
	fs := check.deny with input as snap({"2": user(2, 2, {"username": "admin"})})
	count(fs) == 1
	some f in fs
	f.severity == "medium"
	f.resource == {"type": "user", "id": "2", "uuid": "u2", "name": "admin"}
	f.evidence.default_admin == true
}

test_other_root_admin_key_is_low if {
	some f in check.deny with input as snap({"7": user(7, 5, {})})
	f.severity == "low"
	f.evidence.role == "Root Admin"
}

test_ordinary_user_key_is_quiet if {
	count(check.deny) == 0 with input as snap({"8": user(8, 3, {})})
}

test_admin_without_key_is_quiet if {
	count(check.deny) == 0 with input as snap({"2": user(2, 2, {"has_api_key": false})})
}

test_key_access_off_is_quiet if {
	count(check.deny) == 0 with input as snap({"2": user(2, 2, {"api_key_access": false}), "7": user(7, 5, {"state": "disabled"})})
}

test_legacy_admin_account_without_role if {
	s := snap({"9": user(9, 6, {})})
	some f in check.deny with input as object.union(s, {"db": {"account": {"6": account(6, null, {"type": 1})}}})
	f.severity == "low"
}

test_domain_switches_keys_off if {
	s := testlib.with_settings(snap({"2": user(2, 2, {})}), {"api.key.access": {"value": null, "default": "true", "overrides": {"domain": {"1": "false"}}}})
	count(check.deny) == 0 with input as object.union(s, {"db": {"account": {"2": account(2, 1, {"domain_id": 1})}}})
}

test_user_access_enabled_overrides_account if {
	s := snap({"2": user(2, 2, {"api_key_access": true})})
	count(check.deny) == 1 with input as object.union(s, {"db": {"account": {"2": account(2, 1, {"api_key_access": false})}}})
}
