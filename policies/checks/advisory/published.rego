# METADATA
# title: Published CloudStack vulnerability affects a running version
# description: >-
#   A CloudStack security advisory (CVE) covers a version this cloud runs: an Up
#   management server's mshost.version (the installed ones when none is Up), a KVM
#   agent's host.version when the affected code is KVM's, and the SSVM/console proxy
#   agents' host.version when it runs in system VMs. Ranges, fixed releases, severity
#   and exposure hints come from the advisory data (docs/advisories.md; embedded, or
#   --advisories FILE). One finding per advisory on the cloud, or on each affected
#   server when only some are, naming the fixed release of each server's own release
#   line. Severity is the advisory's: critical stays critical, important is high,
#   moderate/medium is medium, low is low; not stated is medium. It drops to info
#   ("not exposed") when a condition the advisory needs is seen off in the snapshot
#   (saml2.enabled or quota.enable.service false, no KVM hosts, backup framework off
#   in every zone, the mitigating setting applied), and stays when csaudit cannot
#   judge it.
# custom:
#   id: CSA-ADV-001
#   severity: critical
#   category: advisories
#   remediation:
#     summary: Upgrade to the fixed release named in the finding (management servers first, then KVM agents, then system VMs), with the advisory's mitigation as the interim step.
#     commands:
#       - kind: cmk
#         text: cmk list managementservers filter=name,version,state
#   references:
#     - https://security.apache.org/projects/cloudstack/
#     - https://cloudstack.apache.org/blog/
#     - policies/advisory/advisories.tsv (sources per row)
#   controls: [patching, vulnerability-management]
#   requires: [db.mshost, db.host, settings]
package csaudit.checks.advisory.published

import data.csaudit.checks.advisory.match

deny contains f if some f in match.findings("advisory")
