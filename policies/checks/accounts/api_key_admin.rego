# METADATA
# title: Root-admin user holds an API key
# description: >-
#   A user of an account whose role is a root-admin role (roles.role_type Admin) holds an
#   API key. Seed 000 asks that the API keys used for automation be restricted (least
#   privilege, seed 001): a root-admin key can do anything in every domain, so automation
#   should run as a user of a narrower role. Low by default (a hygiene gap); medium for the
#   default admin user (user id 2, the built-in "admin"), whose key is the one most often
#   shared. The user table has no last-login time, so "not logged in recently" cannot be
#   judged. Only whether a key exists is read (computed in the database); the key and the
#   secret key never leave it. A user or account whose api_key_access is false cannot use
#   its key (4.20.1+; else the domain's api.key.access) and is not reported; disabled or
#   locked users neither.
# custom:
#   id: CSA-ACCT-001
#   severity: medium
#   category: hardening
#   remediation:
#     summary: >-
#       Find out which automation uses the key, give it a user of a role with only the APIs
#       it needs, move the automation to that user's key, then switch key access off for the
#       admin user.
#     steps:
#       - List the user's account and role to confirm it is a root admin.
#       - Create (or choose) a role restricted to the APIs the automation calls and a user in an account of that role.
#       - Generate keys for that user and move the automation to them.
#       - Only once nothing uses the old key, switch API key access off for the admin user (the automation's calls fail otherwise).
#     commands:
#       - kind: cmk
#         text: cmk list users id={uuid} filter=username,account,roletype,rolename,state
#       - kind: cmk
#         text: cmk list roles type=Admin filter=id,name,type
#       - kind: cmk
#         text: cmk update user id={uuid} apikeyaccess=Disabled
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (Ensure that the API keys used for automation are restricted)
#     - seed:001_846adba9a861db0c.txt (least privilege)
#     - cloudstack:api getUserKeys, registerUserKeys, createRole, updateUser apikeyaccess (4.20.1+)
#   controls: [hardening, access-control, credentials]
#   requires: [db.user, db.account, db.roles, settings]
package csaudit.checks.accounts.api_key_admin

import data.csaudit.lib

# The account's role: roles.role_type, or the legacy account.type 1 (root admin)
# for an account without a role.
root_admin(a) if object.get(object.get(input.db.roles, lib.key(a.role_id), {}), "role_type", "") == "Admin"

root_admin(a) if {
	a.role_id == null
	a.type == 1
}

# api_key_access (4.20.1+): set on the user, else on its account, else the
# api.key.access setting of the account's domain (default true).
key_usable(u, _) if lib.truthy(object.get(u, "api_key_access", null))

key_usable(u, a) if {
	object.get(u, "api_key_access", null) == null
	lib.truthy(object.get(a, "api_key_access", null))
}

key_usable(u, a) if {
	object.get(u, "api_key_access", null) == null
	object.get(a, "api_key_access", null) == null
	not domain_denies(a)
}

domain_denies(a) if lower(sprintf("%v", [lib.effective_setting("api.key.access", {"domain": object.get(a, "domain_id", null)})])) == "false"

default_admin(id, _) if id == "2"

default_admin(_, u) if {
	u.username == "admin"
	lib.key(u.account_id) == "2"
}

severity(id, u) := "medium" if default_admin(id, u)

else := "low"

deny contains f if {
	some id, u in object.get(input.db, "user", {})
	u.removed == null
	lib.truthy(u.has_api_key)
	lower(object.get(u, "state", "enabled")) == "enabled"
	a := input.db.account[lib.key(u.account_id)]
	a.removed == null
	lower(object.get(a, "state", "enabled")) == "enabled"
	root_admin(a)
	key_usable(u, a)
	role := object.get(input.db.roles, lib.key(a.role_id), {"name": "legacy root admin (account type 1)"})
	f := {
		"resource": {"type": "user", "id": id, "uuid": u.uuid, "name": u.username},
		"severity": severity(id, u),
		"message": sprintf("user %s of account %s (role %s) holds an API key with root-admin rights", [u.username, a.account_name, role.name]),
		"evidence": {"account": a.account_name, "role": role.name, "role_type": object.get(role, "role_type", "Admin"), "default_admin": severity(id, u) == "medium"},
	}
}
