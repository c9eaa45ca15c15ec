# METADATA
# title: Management server secret file readable or writable by others
# description: >-
#   db.properties (database credentials), the key file (the management-server encryption
#   key) and the management server's SSH key id_rsa grant read or write beyond
#   CloudStack's own modes: any permission for others, or write for the group. Seed 000
#   asks chmod 600 on db.properties. Medium per the rubric (secret files readable or
#   writable beyond CloudStack's own modes).
# custom:
#   id: CSA-LOCAL-001
#   severity: medium
#   category: hardening
#   remediation:
#     summary: "Restrict the file to its owner (0600; 0640 root:cloud is CloudStack's packaged mode for db.properties and key)."
#     commands:
#       - kind: shell
#         text: "stat -c '%a %U:%G %n' /etc/cloudstack/management/db.properties /etc/cloudstack/management/key /var/lib/cloudstack/management/.ssh/id_rsa"
#       - kind: shell
#         text: "chmod 0640 /etc/cloudstack/management/db.properties /etc/cloudstack/management/key && chown root:cloud /etc/cloudstack/management/db.properties /etc/cloudstack/management/key"
#       - kind: shell
#         text: "chmod 0600 /var/lib/cloudstack/management/.ssh/id_rsa"
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (chmod 600 /etc/cloudstack/management/db.properties)
#     - seed:003_890368c12d4364b1.txt (/var/lib/cloudstack/management/.ssh/id_rsa)
#   controls: [hardening, credentials]
#   requires: [local.files]
package csaudit.checks.hardening.ms_secret_files

import data.csaudit.lib

secret_files := {
	"/etc/cloudstack/management/db.properties",
	"/etc/cloudstack/management/key",
	"/var/lib/cloudstack/management/.ssh/id_rsa",
}

too_open(perm) if bits.and(perm, 7) != 0

too_open(perm) if bits.and(perm, 16) != 0

deny contains f if {
	some path in secret_files
	st := input.local.files.files[path]
	st.exists
	too_open(st.perm)
	f := {
		"resource": lib.local_ms_resource,
		"discriminator": path,
		"message": sprintf("%s has mode %s (owner %s, group %s)", [path, st.mode, st.owner, st.group]),
		"evidence": {"path": path, "mode": st.mode, "owner": st.owner, "group": st.group},
	}
}
