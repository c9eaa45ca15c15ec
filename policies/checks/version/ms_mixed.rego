# METADATA
# title: Management servers run different versions
# description: >-
#   Up management servers report different CloudStack versions (mshost.version). All
#   management servers of a cloud share one database schema; CloudStack's upgrade procedure
#   stops every server, upgrades them all and starts them again, so mixed versions mean an
#   unfinished upgrade or a server started from an old package, which can act on the
#   schema with outdated code. Filed against each server that is older than the newest.
#   Medium: state corruption or failing operations are possible while it lasts. Source:
#   CloudStack upgrade instructions and mshost (tables.md).
# custom:
#   id: CSA-VER-003
#   severity: medium
#   category: versions
#   remediation:
#     summary: "Drain the older management server (prepareForShutdown lets its running jobs finish and takes no new ones), stop it once readyForShutdown says so, and upgrade its packages to the same release as the others before starting it again."
#     commands:
#       - kind: cmk
#         text: "cmk list managementservers filter=name,version,state"
#       - kind: cmk
#         text: "cmk prepare forshutdown managementserverid={uuid}"
#       - kind: cmk
#         text: "cmk ready forshutdown managementserverid={uuid}"
#       - kind: shell
#         text: "systemctl stop cloudstack-management"
#   references:
#     - cloudstack:docs upgrade instructions (stop all management servers)
#     - cloudstack:api/src/main/java/org/apache/cloudstack/management/ManagementServerHost.java
#   controls: [patching, integrity]
#   requires: [db.mshost]
package csaudit.checks.version.ms_mixed

import data.csaudit.lib

deny contains f if {
	newest := lib.ms_version
	some id, m in lib.mshosts
	m.state == "Up"
	m.version != null
	lib.version_string(m.version) != newest
	f := {
		"resource": lib.ms_resource(id, m),
		"message": sprintf("management server %s runs %s while others run %s", [m.name, m.version, newest]),
		"evidence": {"version": m.version, "newest": newest},
	}
}
