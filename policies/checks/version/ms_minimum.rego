# METADATA
# title: Management server below the minimum supported version
# description: >-
#   A management server runs a CloudStack release older than param min_ms_version
#   (default 4.18.0). Seed 001 requires 4.18 or higher for the lifecycle operations it
#   describes, seed 000 requires at least 4.15; the stricter one is the default. Releases
#   that old are out of community support and miss published security fixes. Medium per
#   the rubric: a documented deviation with a real attack path (known, fixed
#   vulnerabilities).
# custom:
#   id: CSA-VER-001
#   severity: medium
#   category: versions
#   remediation:
#     summary: Plan an upgrade along CloudStack's documented upgrade path (system VM template first, then management servers, then agents).
#     commands:
#       - kind: cmk
#         text: cmk list managementservers filter=name,version,state
#   references:
#     - seed:001_846adba9a861db0c.txt (Management Server version 4.18 or higher)
#     - seed:000_bd9184fa1d57f2b2.txt (version 4.15 or higher)
#   controls: [patching]
#   requires: [db.mshost]
package csaudit.checks.version.ms_minimum

import data.csaudit.lib

deny contains f if {
	some id, m in lib.mshosts
	m.version != null
	lib.version_lt(m.version, lib.params.min_ms_version)
	f := {
		"resource": lib.ms_resource(id, m),
		"message": sprintf("management server %s runs %s, below the minimum %s", [m.name, m.version, lib.params.min_ms_version]),
		"evidence": {"version": m.version, "minimum": lib.params.min_ms_version, "state": m.state},
	}
}
