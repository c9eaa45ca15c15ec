# METADATA
# title: CloudStack alerts left unresolved
# description: >-
#   CloudStack's own alerts (the alert table: host down, fencing failed, capacity, system
#   VMs, certificates, out-of-band management…) raised in the last 7 days that are
#   neither resolved (alert.resolved) nor archived. csaudit collects only unarchived alerts
#   of the last 7 days. They are grouped per zone and alert type into one finding with the
#   count and the latest subject. Low: a hygiene gap (no one has acknowledged what
#   CloudStack reported); the conditions themselves are judged by the checks that cover
#   them. Source: AlertManagerImpl (alert table, clearAlert sets resolved).
# custom:
#   id: CSA-MS-005
#   severity: low
#   category: management-server
#   remediation:
#     summary: >-
#       Read the alerts, check that what each one reported is over (the checks covering that
#       resource pass, or CloudStack's own state shows it), and then archive them so that new
#       alerts stand out.
#     steps:
#       - Diagnose - list the alerts of the type.
#       - Verify - confirm the condition each alert reported no longer holds.
#       - Act - archive the alerts of that type up to today.
#     commands:
#       - kind: cmk
#         text: cmk list alerts
#   references:
#     - cloudstack:server/src/main/java/com/cloud/alert/AlertManagerImpl.java
#     - cloudstack:api/src/main/java/org/apache/cloudstack/alert/AlertService.java (alert types)
#   controls: [monitoring]
#   requires: [db.alert, db.data_center]
package csaudit.checks.mgmt.alerts_open

import data.csaudit.lib

open_alerts := {id: a |
	some id, a in object.get(input.db, "alert", {})
	a.resolved == null
	not lib.truthy(a.archived)
}

label(a) := a.name if {
	is_string(a.name)
	a.name != ""
} else := sprintf("type %v", [a.type])

groups := {[lib.key(a.data_center_id), a.type, label(a)] | some a in open_alerts}

resource(zid) := lib.zone_resource(zid, lib.zones[zid]) if {
	lib.zones[zid]
} else := {"type": "cloud", "name": "cloud"}

deny contains f if {
	some [zid, t, name] in groups
	members := [[a.last_sent, id] | some id, a in open_alerts; lib.key(a.data_center_id) == zid; a.type == t; label(a) == name]
	[_, latest_id] := max(members)
	latest := open_alerts[latest_id]
	f := {
		"resource": resource(zid),
		"discriminator": sprintf("%v/%s", [t, name]),
		"message": sprintf("%d unresolved %s alert(s) in the last 7 days; latest: %s", [count(members), name, latest.subject]),
		"evidence": {"alert_type": t, "name": name, "count": count(members), "latest_subject": latest.subject, "latest_sent": latest.last_sent, "zone_id": zid},
		"commands": [
			{"kind": "cmk", "text": sprintf("cmk list alerts type=%v", [t])},
			{"kind": "cmk", "text": sprintf("cmk archive alerts type=%v enddate=%s", [t, substring(input.meta.db_now, 0, 10)])},
		],
	}
}
