package csaudit.checks.mgmt.alerts_open_test

import data.csaudit.checks.mgmt.alerts_open as check
import data.csaudit.testlib

alert(id, fields) := object.union(
	{
		"id": id, "uuid": sprintf("uuid-alert-%v", [id]), "type": 7, "data_center_id": 1, "pod_id": 1, "cluster_id": null,
		"subject": sprintf("Host is down, name: kvm-%v", [id]), "sent_count": 1, "name": "ALERT.COMPUTE.HOST",
		"created": "2026-11-22T08:00:00Z", "last_sent": sprintf("2026-11-22T0%v:00:00Z", [id]), "resolved": null, "archived": false,
	},
	fields,
)

snap(alerts) := testlib.snapshot({"data_center": {"1": testlib.zone(1, {})}, "alert": alerts})

test_open_alerts_are_grouped_per_zone_and_type if {
	s := snap({"1": alert(1, {}), "2": alert(2, {}), "3": alert(3, {"type": 31, "name": "ALERT.CA.CERT", "subject": "Certificate expiring soon"})})
	count(check.deny) == 2 with input as s
	some f in check.deny with input as s
	f.evidence.alert_type == 7
	f.evidence.count == 2
	f.evidence.latest_subject == "Host is down, name: kvm-2"
	f.resource.type == "zone"
}

test_resolved_and_archived_alerts_are_quiet if {
	s := snap({"1": alert(1, {"resolved": "2026-11-22T09:00:00Z"}), "2": alert(2, {"archived": true}), "3": alert(3, {"archived": 1})})
	count(check.deny) == 0 with input as s
}

test_archive_command_names_the_type if {
	some f in check.deny with input as snap({"1": alert(1, {"name": null, "type": 19})})
	f.commands[1].text == "cmk archive alerts type=19 enddate=2026-11-22"
	f.evidence.name == "type 19"
}
