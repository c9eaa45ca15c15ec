# METADATA
# title: Host key for system VM access is open beyond its owner
# description: >-
#   /root/.ssh/id_rsa.cloud on a KVM or XenServer host is the private key that opens every
#   system VM on port 3922 (seed 003, Accessing System VMs; seed 004). A mode with any bit
#   beyond the owner's read and write (0600) lets other local users read or replace it; a
#   stricter mode such as 0400 is fine. Medium per the rubric (secret file
#   readable or writable beyond CloudStack's own modes).
# custom:
#   id: CSA-HOST-002
#   severity: medium
#   category: hardening
#   remediation:
#     summary: "Restrict the key to root (mode 0600 or stricter)."
#     commands:
#       - kind: shell
#         text: "stat -c '%a %U:%G %n' /root/.ssh/id_rsa.cloud"
#       - kind: shell
#         text: "chown root:root /root/.ssh/id_rsa.cloud && chmod 0600 /root/.ssh/id_rsa.cloud"
#   references:
#     - "seed:003_890368c12d4364b1.txt (Accessing System VMs, /root/.ssh/id_rsa.cloud)"
#     - seed:004_62a602eb5c0afa8b.txt (restrict access to the System VMs)
#   controls: [hardening, credentials]
#   requires: [db.host, hosts.files]
package csaudit.checks.hardening.id_rsa_cloud

import data.csaudit.lib

path := "/root/.ssh/id_rsa.cloud"

deny contains f if {
	some id, h in lib.routing_hosts
	st := input.hosts[h.uuid].files.files[path]
	st.exists
	bits.and(st.perm, bits.negate(384)) != 0
	f := {
		"resource": lib.host_resource(id, h),
		"message": sprintf("%s on %s has mode %s (want 0600 or stricter)", [path, h.name, st.mode]),
		"evidence": {"path": path, "mode": st.mode, "owner": st.owner, "cluster_id": h.cluster_id},
	}
}
