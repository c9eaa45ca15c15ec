# METADATA
# title: db.properties secrets not encrypted, or with the old V1 encryptor
# description: >-
#   The management server's db.properties has db.cloud.encryption.type = none, so the
#   database password and the key that encrypts every secret in the database (host, BMC,
#   storage and API credentials) are stored in plain text (high: one file read exposes all
#   of them). Or the values are encrypted with encryptor version V1 (jasypt PBE with MD5
#   and DES), which CloudStack replaced with V2 (AES-GCM) and can migrate with
#   cloudstack-migrate-databases (medium: weak cryptography protecting secrets). An
#   absent or empty db.cloud.encryptor.version counts as V1 too: CloudStackEncryptor then
#   tries V2 and falls back to V1, so values written before V2 keep working, and stay, V1
#   (the collector cannot tell the two apart without the key). Source:
#   tables.md "Secrets: how CloudStack stores and encrypts them".
# custom:
#   id: CSA-LOCAL-002
#   severity: high
#   category: hardening
#   remediation:
#     summary: Encrypt db.properties with a management server key (encryption type file or web) and migrate to the V2 encryptor.
#     commands:
#       - kind: shell
#         text: grep -E '^db.cloud.encryption.type|^db.cloud.encryptor.version' /etc/cloudstack/management/db.properties
#       - kind: shell
#         text: cloudstack-migrate-databases -h
#   references:
#     - cloudstack:tables.md (db.properties ENC(), V1 jasypt and V2 AES-GCM)
#     - seed:000_bd9184fa1d57f2b2.txt (protect db.properties)
#   controls: [secrets, encryption]
#   requires: [local.db_properties]
package csaudit.checks.local.db_encryption

import data.csaudit.lib

deny contains f if {
	p := input.local.db_properties
	[sev, why] := problem(p)
	f := {
		"resource": lib.local_ms_resource,
		"severity": sev,
		"message": sprintf("db.properties %s", [why]),
		"evidence": {"encryption_type": p.encryption_type, "encryptor_version": object.get(p, "encryptor_version", null)},
	}
}

problem(p) := ["high", "is not encrypted (db.cloud.encryption.type=none)"] if lower(p.encryption_type) == "none"

problem(p) := ["medium", "is encrypted with the V1 (jasypt PBEWithMD5AndDES) encryptor"] if {
	lower(p.encryption_type) != "none"
	upper(object.get(p, "encryptor_version", "")) == "V1"
}

problem(p) := ["medium", "sets no db.cloud.encryptor.version, so CloudStack falls back to the V1 (jasypt PBEWithMD5AndDES) encryptor for values V2 cannot decrypt"] if {
	lower(p.encryption_type) != "none"
	trim_space(object.get(p, "encryptor_version", "")) == ""
}
