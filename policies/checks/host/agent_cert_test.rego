package csaudit.checks.host.agent_cert_test

import data.csaudit.checks.host.agent_cert as check
import data.csaudit.testlib

ca(renewal, allow_expired) := {
	"ca.framework.cert.automatic.renewal": {"value": renewal, "default": "true"},
	"ca.framework.cert.expiry.alert.period": testlib.default_of("15"),
	"ca.framework.background.task.delay": testlib.default_of("3600"),
	"ca.plugin.root.allow.expired.cert": {"value": allow_expired, "default": "true"},
}

snap_with(na, host, settings, alerts) := testlib.with_settings(
	testlib.with_hosts(
		testlib.snapshot({"host": {"1": testlib.host(1, host)}, "alert": alerts}),
		{"uuid-host-1": {"agent_cert": {"not_after": na}}},
	),
	settings,
)

snap(na) := snap_with(na, {}, ca(null, null), {})

sev(s) := x if {
	x := {f.severity | some f in check.deny} with input as s
}

test_expired_with_expired_certs_refused_is_high if {
	sev(snap_with("2026-11-01T00:00:00Z", {}, ca(null, "false"), {})) == {"high"}
}

test_expired_but_still_accepted_is_medium if {
	s := snap("2026-11-01T00:00:00Z")
	sev(s) == {"medium"}
	some f in check.deny with input as s
	contains(f.message, "still accepts it")
}

# Ten days left: inside the 15-day window, renewed automatically; the task runs
# hourly and the certificate entered the window five days ago, so renewal has
# visibly not happened.
test_inside_window_long_unrenewed_is_medium if {
	sev(snap("2026-12-02T00:00:00Z")) == {"medium"}
}

# 14.5 days left: entered the window half a day ago; the next runs will renew it.
test_just_inside_window_with_renewal_is_quiet if {
	count(check.deny) == 0 with input as snap("2026-12-06T22:00:00Z")
}

test_renewal_failure_alert_is_medium_at_once if {
	alerts := {"5": {"id": 5, "subject": "Certificate auto-renewal failed for host id=1, uuid=uuid-host-1, name=kvm-1", "archived": false}}
	sev(snap_with("2026-12-06T22:00:00Z", {}, ca(null, null), alerts)) == {"medium"}
}

test_inside_window_host_not_up_is_medium if {
	sev(snap_with("2026-12-06T22:00:00Z", {"status": "Disconnected"}, ca(null, null), {})) == {"medium"}
}

# 20 days left: outside CloudStack's window; renewal will run in time.
test_twenty_days_with_renewal_is_quiet if {
	count(check.deny) == 0 with input as snap("2026-12-12T00:00:00Z")
}

test_twenty_days_without_renewal_is_medium if {
	s := snap_with("2026-12-12T00:00:00Z", {}, ca("false", null), {})
	sev(s) == {"medium"}
	some f in check.deny with input as s
	contains(f.message, "automatic renewal is off")
}

test_cluster_override_turns_renewal_off if {
	settings := object.union(ca(null, null), {"ca.framework.cert.automatic.renewal": {"overrides": {"cluster": {"1": "false"}}}})
	sev(snap_with("2026-12-12T00:00:00Z", {}, settings, {})) == {"medium"}
}

test_valid_for_a_year_passes if {
	count(check.deny) == 0 with input as snap_with("2027-11-22T00:00:00Z", {}, ca("false", "false"), {})
}
