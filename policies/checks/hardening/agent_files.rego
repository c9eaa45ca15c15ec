# METADATA
# title: Agent secrets readable or writable by others
# description: >-
#   On a KVM host, /etc/cloudstack/agent/agent.properties (it holds the keystore
#   passphrase) or the agent's keystore and key (cloud.jks, cloud.key) grant read or write
#   to "others". Any local user can then take the agent's identity and talk to the
#   management server as that host. Medium per the rubric: secret files readable or
#   writable beyond CloudStack's own modes (the agent's keystore setup leaves them
#   root-only). Source: CloudStack keystore-setup / agent packaging; seed 000 asks for
#   0600 on secret files.
# custom:
#   id: CSA-HOST-004
#   severity: medium
#   category: hardening
#   remediation:
#     summary: "Remove the \"others\" bits from the agent's secret files."
#     commands:
#       - kind: shell
#         text: "stat -c '%a %U:%G %n' /etc/cloudstack/agent/agent.properties /etc/cloudstack/agent/cloud.jks /etc/cloudstack/agent/cloud.key"
#       - kind: shell
#         text: "chmod o-rwx /etc/cloudstack/agent/agent.properties /etc/cloudstack/agent/cloud.jks /etc/cloudstack/agent/cloud.key"
#   references:
#     - seed:000_bd9184fa1d57f2b2.txt (chmod 600 on secret files)
#     - cloudstack:scripts/util/keystore-setup
#   controls: [file-permissions, secrets]
#   requires: [hosts.files, db.host]
package csaudit.checks.hardening.agent_files

import data.csaudit.lib

paths := {"/etc/cloudstack/agent/agent.properties", "/etc/cloudstack/agent/cloud.jks", "/etc/cloudstack/agent/cloud.key"}

deny contains f if {
	some id, h in lib.routing_hosts
	files := input.hosts[h.uuid].files.files
	some path in paths
	st := files[path]
	st.exists
	bits.and(st.perm, 7) != 0
	f := {
		"resource": lib.host_resource(id, h),
		"discriminator": path,
		"message": sprintf("%s on %s has mode %s (others may read or write it)", [path, h.name, st.mode]),
		"evidence": {"path": path, "mode": st.mode, "owner": st.owner, "group": st.group},
	}
}
