# Helpers for check tests: a small snapshot built from a few rows, never a full
# inline snapshot.
package csaudit.testlib

now := "2026-11-22T10:00:00Z"

base_settings := {
	"cluster.heartbeat.threshold": {"value": null, "default": "150000"},
	"ping.interval": {"value": null, "default": "60"},
	"ping.timeout": {"value": null, "default": "2.5"},
	"job.cancel.threshold.minutes": {"value": null, "default": "60"},
	"expunge.delay": {"value": null, "default": "86400"},
	"expunge.interval": {"value": null, "default": "86400"},
	"router.version.check": {"value": null, "default": "true"},
	"minreq.sysvmtemplate.version": {"value": "4.22.0", "default": "4.10.0"},
}

# snapshot builds an input from db tables, settings overrides and host facts.
snapshot(db) := {
	"schema": "csaudit.snapshot/v1",
	"meta": {"db_now": now},
	"db": db,
	"settings": base_settings,
	"hosts": {},
	"oobm": {},
}

with_settings(snap, settings) := object.union(snap, {"settings": object.union(base_settings, settings)})

with_hosts(snap, hosts) := object.union(snap, {"hosts": hosts})

with_local(snap, local) := object.union(snap, {"local": local})

set_to(v) := {"value": v, "default": null}

vm(id, fields) := object.union(
	{
		"id": id, "uuid": sprintf("uuid-vm-%v", [id]), "instance_name": sprintf("i-2-%v-VM", [id]),
		"name": sprintf("vm-%v", [id]), "state": "Running", "type": "User", "host_id": 1, "last_host_id": 1,
		"power_state": "PowerOn", "power_host": 1, "removed": null, "ha_enabled": false,
		"update_time": "2026-11-22T09:00:00Z", "power_state_update_time": "2026-11-22T09:59:00Z",
		"data_center_id": 1, "service_offering_id": 1,
	},
	fields,
)

host(id, fields) := object.union(
	{
		"id": id, "uuid": sprintf("uuid-host-%v", [id]), "name": sprintf("kvm-%v", [id]), "type": "Routing",
		"status": "Up", "resource_state": "Enabled", "removed": null, "cluster_id": 1, "data_center_id": 1,
		"hypervisor_type": "KVM", "mgmt_server_id": 1001, "private_ip_address": sprintf("10.0.0.%v", [id]),
	},
	fields,
)

mshost(id, fields) := object.union(
	{
		"id": id, "msid": 1000 + id, "uuid": sprintf("uuid-ms-%v", [id]), "name": sprintf("ms-%v", [id]),
		"state": "Up", "last_update": "2026-11-22T09:59:50Z", "removed": null, "service_ip": sprintf("10.0.1.%v", [id]),
		"version": "4.22.0.0",
	},
	fields,
)

# ids picks the resource ids out of a deny set.
ids(findings) := {f.resource.id | some f in findings}

cluster(id, fields) := object.union(
	{
		"id": id, "uuid": sprintf("uuid-cluster-%v", [id]), "name": sprintf("cluster-%v", [id]),
		"hypervisor_type": "KVM", "data_center_id": 1, "pod_id": 1, "removed": null, "arch": "x86_64",
		"allocation_state": "Enabled",
	},
	fields,
)

zone(id, fields) := object.union(
	{"id": id, "uuid": sprintf("uuid-zone-%v", [id]), "name": sprintf("zone-%v", [id]), "allocation_state": "Enabled", "removed": null},
	fields,
)

# A setting left at its default / set globally.
default_of(v) := {"value": null, "default": v}
