# METADATA
# title: Behind the newest patch release of its release line
# description: >-
#   The advisory data names a newer patch release of the same major.minor line
#   as the management servers run (a fixed_in release of an advisory or known bug,
#   e.g. 4.20.3.1 for a cloud on 4.20.1.0). The finding lists the advisories and
#   known bugs affecting the running version that the newest such release fixes.
#   Releases are known only through the data, so a newer release that fixed nothing
#   in it is not seen. Low: a hygiene gap; the advisories themselves are reported by
#   CSA-ADV-001 and CSA-ADV-002 at their own severity.
# custom:
#   id: CSA-ADV-003
#   severity: low
#   category: advisories
#   remediation:
#     summary: Plan the patch upgrade to the newest release of the line (management servers, then KVM agents, then system VMs); patch releases within a line need no new system VM template unless their release notes say so.
#     commands:
#       - kind: cmk
#         text: cmk list managementservers filter=name,version,state
#   references:
#     - https://cloudstack.apache.org/blog/
#     - policies/advisory/advisories.tsv, known_bugs.tsv (fixed_in)
#   controls: [patching]
#   requires: [db.mshost]
package csaudit.checks.advisory.behind_line

import data.csaudit.checks.advisory.match
import data.csaudit.lib

running := {m.version | some m in match.ms_running}

# Newest fixed release on the line of v, above v.
newest(v) := max(later) if {
	later := {f |
		some e in match.entries
		some f in e.fixed
		f[0] == v[0]
		f[1] == v[1]
		f > v
	}
	count(later) > 0
}

fixed_by(v, n) := sort({e.id |
	some e in match.entries
	match.affects(e, v)
	some f in e.fixed
	f[0] == v[0]
	f[1] == v[1]
	f <= n
})

# On the cloud when every running management server is on one version, else
# on each management server.
deny contains f if {
	count(running) == 1
	some s in running
	f := finding(s, {"type": "cloud", "name": "cloud"})
}

deny contains f if {
	count(running) > 1
	some id, m in match.ms_running
	f := finding(m.version, lib.ms_resource(id, m))
}

finding(s, resource) := {
	"resource": resource,
	"discriminator": s,
	"message": sprintf("management servers %s run %s; %s is the newest %v.%v release in the advisory data and fixes %d advisories or known bugs affecting it%s", [concat(", ", servers), s, match.version_text(n), v[0], v[1], count(ids), listed(ids)]),
	"evidence": {"version": s, "newest_on_line": match.version_text(n), "fixes": ids, "servers": servers, "data": match.data_label},
} if {
	v := match.version(s)
	n := newest(v)
	ids := fixed_by(v, n)
	servers := sort([sprintf("%v", [m.name]) | some m in match.ms_running; m.version == s])
}

listed(ids) := sprintf(" (%s)", [concat(", ", ids)]) if count(ids) > 0

else := ""
