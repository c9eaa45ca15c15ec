# METADATA
# title: Severe known CloudStack bug affects a running version
# description: >-
#   A documented data-loss or outage bug of CloudStack (known_bugs.tsv: the GitHub
#   issue, its fixing PR and the release notes) covers a version this cloud runs,
#   judged like CSA-ADV-001: management servers, plus KVM agents when the bug is
#   KVM's. Medium, high when the data states that data is lost; info ("not exposed")
#   when the snapshot shows a condition the bug needs is off (no KVM or XenServer
#   hosts, no SharedMountPoint pool, the documented workaround setting applied).
# custom:
#   id: CSA-ADV-002
#   severity: high
#   category: advisories
#   remediation:
#     summary: Upgrade to the release that fixes the bug (management servers first, then KVM agents); until then avoid the operation the bug describes.
#     commands:
#       - kind: cmk
#         text: cmk list managementservers filter=name,version,state
#   references:
#     - https://github.com/apache/cloudstack/issues
#     - https://github.com/apache/cloudstack-documentation (release notes, known issues)
#     - policies/advisory/known_bugs.tsv (sources per row)
#   controls: [patching, availability]
#   requires: [db.mshost, db.host, db.storage_pool, settings]
package csaudit.checks.advisory.known_bug

import data.csaudit.checks.advisory.match

deny contains f if some f in match.findings("bug")
