package csaudit.checks.settings.ping_window_test

import data.csaudit.checks.settings.ping_window as check
import data.csaudit.testlib

snap(i, t) := testlib.with_settings(testlib.snapshot({}), {
	"ping.interval": {"value": i, "default": "60"},
	"ping.timeout": {"value": t, "default": "2.5"},
})

test_defaults_are_not_a_finding if {
	count(check.deny) == 0 with input as snap(null, null)
}

test_ten_second_window_is_medium if {
	some f in check.deny with input as snap("10", "1")
	f.severity == "medium"
}

test_hour_long_window_is_low if {
	some f in check.deny with input as snap("600", "6")
	f.severity == "low"
}

test_tuned_but_sane_passes if {
	count(check.deny) == 0 with input as snap("30", "3")
}
