# Small builders for the OOBM check tests.
package csaudit.checks.oobm.testdata

import data.csaudit.testlib

oobm_row(id, host_id, fields) := object.union(
	{
		"id": id, "host_id": host_id, "enabled": 1, "driver": "ipmitool", "address": sprintf("10.9.0.%v", [host_id]),
		"port": "623", "power_state": "On", "update_time": "2026-11-22T09:00:00Z", "mgmt_server_id": 1001,
		"update_count": 3,
	},
	fields,
)

# bmc is the collector's fact for host id, keyed by the host uuid.
bmc(host_id, fields) := object.union(
	{
		"host_id": sprintf("%v", [host_id]), "host_name": sprintf("kvm-%v", [host_id]),
		"address": sprintf("10.9.0.%v:623", [host_id]), "reachable": true, "presence_pong": true,
		"anonymous_login": false, "null_user": false, "none_auth": false, "auth_types": ["md5"],
		"collected_at": "2026-11-22T10:00:00Z",
	},
	fields,
)

# snapshot: hosts 1 and 2 in cluster 1 with oobm rows; one live MS.
snapshot(extra) := object.union(
	testlib.snapshot({
		"host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})},
		"oobm": {"11": oobm_row(11, 1, {}), "12": oobm_row(12, 2, {})},
		"mshost": {"1": testlib.mshost(1, {})},
		"vm_instance": {},
		"ha_config": {},
		"cluster_details": {},
	}),
	extra,
)

with_db(snap, tables) := object.union(snap, {"db": object.union(snap.db, tables)})

with_bmcs(snap, bmcs) := object.union(snap, {"oobm": bmcs})
