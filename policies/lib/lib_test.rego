package csaudit.lib_test

import data.csaudit.lib
import data.csaudit.testlib

test_effective_setting_prefers_cluster_over_zone_over_global if {
	snap := testlib.with_settings(testlib.snapshot({"cluster": {"3": {"id": 3, "data_center_id": 1, "removed": null}}}), {"mem.overprovisioning.factor": {
		"value": "1.5", "default": "1",
		"overrides": {"cluster": {"3": "2.0"}, "zone": {"1": "3.0"}},
	}})
	lib.effective_setting("mem.overprovisioning.factor", {"cluster": 3, "zone": 1}) == "2.0" with input as snap
	lib.effective_setting("mem.overprovisioning.factor", {"cluster": 4, "zone": 1}) == "3.0" with input as snap
	lib.effective_setting("mem.overprovisioning.factor", {"cluster": 4, "zone": 2}) == "1.5" with input as snap
}

test_setting_falls_back_to_default if {
	lib.setting("ping.timeout") == "2.5" with input as testlib.snapshot({})
}

test_ms_alive_needs_fresh_heartbeat if {
	snap := testlib.snapshot({"mshost": {
		"1": testlib.mshost(1, {}),
		"2": testlib.mshost(2, {"last_update": "2026-11-22T09:00:00Z"}),
		"3": testlib.mshost(3, {"state": "Down"}),
	}})
	lib.ms_alive(1001) with input as snap
	not lib.ms_alive(1002) with input as snap
	not lib.ms_alive(1003) with input as snap
	not lib.ms_alive(1009) with input as snap
}

test_age_seconds if {
	lib.age_seconds("2026-11-22T09:59:00Z") == 60 with input as testlib.snapshot({})
}
