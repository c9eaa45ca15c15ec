# METADATA
# title: Network waiting for a restart
# description: >-
#   A guest network has restart_required = 1: CloudStack changed something (offering,
#   upgrade, failed apply) that the network's router only picks up on a restart, so the
#   router's configuration is not what the database says. Low per the rubric: a hygiene
#   gap until the restart is done. Source: networks.restart_required (tables.md).
# custom:
#   id: CSA-VR-003
#   severity: low
#   category: routers
#   remediation:
#     summary: "Restart the network (with cleanup when the router template changed) in a maintenance window."
#     commands:
#       - kind: cmk
#         text: "cmk list networks id={uuid} listall=true filter=name,state,restartrequired"
#       - kind: cmk
#         text: "cmk restart network id={uuid} cleanup=true"
#   references:
#     - cloudstack:schema networks.restart_required
#   controls: [operations, network]
#   requires: [db.networks]
package csaudit.checks.router.restart_required

import data.csaudit.lib

deny contains f if {
	some id, n in object.get(input.db, "networks", {})
	n.removed == null
	lib.truthy(n.restart_required)
	f := {
		"resource": {"type": "network", "id": id, "uuid": n.uuid, "name": n.name},
		"message": sprintf("network %s needs a restart (restart_required)", [n.name]),
		"evidence": {"state": object.get(n, "state", null), "vpc_id": object.get(n, "vpc_id", null)},
	}
}
