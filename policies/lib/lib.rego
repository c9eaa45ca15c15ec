# Shared indexes and helpers. Every join goes through an object or set built once
# per evaluation here; checks never nest scans over two tables.
package csaudit.lib

# The database clock, in nanoseconds. Ages are measured against it only, so a
# saved snapshot re-evaluates to the same result.
db_now_ns := time.parse_rfc3339_ns(input.meta.db_now)

# Seconds from an RFC 3339 timestamp to the database clock.
age_seconds(ts) := (db_now_ns - time.parse_rfc3339_ns(ts)) / 1000000000

# key turns a numeric foreign key into the string id the db tables are keyed by.
key(n) := sprintf("%v", [n])

params := data.csaudit.params

# Rows not soft-deleted.
hosts := {id: h | some id, h in object.get(input.db, "host", {}); h.removed == null}

# Hypervisor hosts (the agent rows of system VMs are type SecondaryStorageVM etc.).
routing_hosts := {id: h | some id, h in hosts; h.type == "Routing"}

clusters := {id: c | some id, c in object.get(input.db, "cluster", {}); c.removed == null}

zones := {id: z | some id, z in object.get(input.db, "data_center", {}); z.removed == null}

mshosts := {id: m | some id, m in object.get(input.db, "mshost", {}); m.removed == null}

# Management servers by msid (the id other tables refer to).
ms_by_msid[key(m.msid)] := m if some m in mshosts

# An MS counts as alive when Up with a heartbeat younger than
# cluster.heartbeat.threshold (milliseconds; default 150000).
heartbeat_threshold_s := to_number(setting("cluster.heartbeat.threshold")) / 1000

ms_alive(msid) if {
	m := ms_by_msid[key(msid)]
	m.state == "Up"
	age_seconds(m.last_update) <= heartbeat_threshold_s
}

# A VM has a live job when a vm_work_job row joins an in-progress async_job
# (job_status 0) whose executing management server is alive. Starts from the
# in-progress jobs, which are few.
live_job_vms := {key(w.vm_instance_id) |
	some id, _ in ids_where("async_job", "job_status", 0)
	w := input.db.vm_work_job[id]
	ms_alive(input.db.async_job[id].job_executing_msid)
}

# Settings: the global value when set, else CloudStack's default.
setting(name) := v if {
	v := input.settings[name].value
	v != null
} else := input.settings[name].default

# effective_setting resolves a setting for a scope object such as
# {"cluster": 3, "zone": 1}: the most specific override wins, then the global
# value, then the default.
scope_order := ["account", "domain", "storage_pool", "image_store", "cluster", "zone"]

effective_setting(name, scope) := v if {
	vals := [x |
		some kind in scope_order
		sid := scope[kind]
		x := input.settings[name].overrides[kind][key(sid)]
	]
	count(vals) > 0
	v := vals[0]
} else := setting(name)

setting_true(name) if lower(setting(name)) == "true"

# Resource objects for findings.
vm_resource(id, vm) := {"type": vm_type(vm), "id": id, "uuid": vm.uuid, "name": vm.instance_name}

system_vm_types := {"SecondaryStorageVm", "ConsoleProxy"}

router_types := {"DomainRouter", "InternalLoadBalancerVm"}

vm_type(vm) := "system_vm" if {
	vm.type in system_vm_types
} else := "router" if {
	vm.type in router_types
} else := "vm"

host_resource(id, h) := {"type": "host", "id": id, "uuid": h.uuid, "name": h.name}

cluster_resource(id, c) := {"type": "cluster", "id": id, "uuid": c.uuid, "name": c.name}

zone_resource(id, z) := {"type": "zone", "id": id, "uuid": z.uuid, "name": z.name}

setting_resource(name) := {"type": "setting", "name": name}

# Host facts by host uuid (from the hosts collector).
host_facts(h) := input.hosts[h.uuid]

# --- Added for the full check library (additive). ---

# Columns arrive as booleans or 0/1 depending on the column type and collector.
truthy(v) if v == true

truthy(v) if v == 1

truthy(v) if v == "1"

truthy(v) if {
	is_string(v)
	lower(v) == "true"
}

# param_or returns a positive param as an override, else the value derived from
# CloudStack's own setting (params default to 0 to mean "follow CloudStack").
param_or(name, derived) := params[name] if {
	object.get(params, name, 0) > 0
} else := derived

# version turns "4.22.0.0", "4.22.0-SNAPSHOT" or "Cloudstack Release 4.22.0" into
# three numbers for ordered comparison; missing parts are 0.
version(s) := [to_number(x) |
	some x in array.slice(array.concat(regex.find_n(`[0-9]+`, s, 3), ["0", "0", "0"]), 0, 3)
]

version_lt(a, b) if version(a) < version(b)

version_string(s) := concat(".", [sprintf("%v", [n]) | some n in version(s)])

# The newest version among Up management servers: what agents, routers and system
# VM templates are expected to match.
ms_version := v if {
	vs := [version(m.version) | some m in mshosts; m.state == "Up"; m.version != null]
	count(vs) > 0
	v := concat(".", [sprintf("%v", [n]) | some n in max(vs)])
}

ms_resource(id, m) := {"type": "management_server", "id": id, "uuid": m.uuid, "name": m.name}

# The management server whose files the local collector read, named as the
# local collector names it (its /etc/hostname), with the id of its mshost row
# when one joins by host name (CloudStack names the row after the host): an
# exact (case-insensitive) match first, else the first label, as /etc/hostname
# may hold the FQDN. No uuid: finding ids hash the uuid before the name, and a
# local finding must keep its id whether or not the database was collected.
local_ms_resource := {"type": "management_server", "id": local_ms_id, "name": local_hostname} if {
	local_ms_id
} else := {"type": "management_server", "name": local_hostname}

local_hostname := object.get(input.local, "hostname", "local")

local_ms_id := ids[0] if {
	ids := [id | some id, m in mshosts; lower(m.name) == lower(local_hostname)]
	count(ids) == 1
} else := ids[0] if {
	short := lower(split(local_hostname, ".")[0])
	ids := [id | some id, m in mshosts; lower(split(m.name, ".")[0]) == short]
	count(ids) == 1
}

pool_resource(id, p) := {"type": "storage_pool", "id": id, "uuid": p.uuid, "name": p.name}

# Hypervisor host ids per cluster id.
hosts_in_cluster := {key(c): ids |
	some c in {h.cluster_id | some h in routing_hosts; h.cluster_id != null}
	ids := {id | some id, h in routing_hosts; h.cluster_id == c}
}

# Memory (MB) a VM's service offering gives it; 0 when unknown (custom offerings
# keep it in vm_instance_details: see vm_size).
vm_ram_mb(vm) := to_number(input.db.service_offering[key(vm.service_offering_id)].ram_size) if {
	vm.service_offering_id != null
} else := 0

# A VM's zone id for effective zone-scoped settings.
zone_scope(vm) := {"zone": vm.data_center_id}

# [instance_type, instance id] of objects an in-progress async job works on
# whose executing management server is alive: "someone is working on it".
live_jobs_on := {[job.instance_type, key(job.instance_id)] |
	some id, _ in ids_where("async_job", "job_status", 0)
	job := input.db.async_job[id]
	job.instance_id != null
	ms_alive(job.job_executing_msid)
}

# Minutes after which CloudStack force-cancels an in-progress async job.
job_cancel_minutes := to_number(setting("job.cancel.threshold.minutes"))

# --- Groupings (data.csaudit.index) ---
#
# Checks start from the rows they care about: VMs in a state, of a type, on a
# host. One Rego pass over 100,000 VMs costs about half a second, so csaudit
# builds these groupings in Go once per evaluation (policies/index.go) and puts
# them at data.csaudit.index. Without it (Rego unit tests, plain `opa eval`) the
# same values are computed here; a Go test proves both agree. Groups are
# objects from member to true, so object.remove/object.filter work on them.

# group(table, by, val): the table's live rows grouped by the text of column
# by; each group maps the row key (val "id") or the text of column(s) val to
# true.
# rego_group is the reference definition; it rescans the rows per group, which
# is fine for unit-test inputs only.
group(table, by, val) := g if {
	g := data.csaudit.index.group[table][by][val]
} else := rego_group(table, by, val)

rego_group(table, by, val) := flat_group(live_rows(table), by, val) if not contains(by, "/")

# "a/b" nests two levels (Rego has no recursion; the index needs no more).
rego_group(table, by, val) := g if {
	[outer, inner] := split(by, "/")
	g := {k: flat_group(rows, inner, val) |
		some k in {group_key(r, outer) | some r in live_rows(table)}
		rows := {id: r | some id, r in live_rows(table); group_key(r, outer) == k}
	}
}

flat_group(rows, by, val) := {k: members |
	some k in {group_key(r, by) | some r in rows}
	members := {m: true |
		some id, r in rows
		group_key(r, by) == k
		some m in member(id, r, val)
	}
}

# A composite by ("state|host_id|service_offering_id") joins the columns' texts
# with "|"; rows with a null in any of them are left out.
group_key(r, by) := concat("|", [key(r[c]) | some c in cols]) if {
	cols := split(by, "|")
	every c in cols {
		r[c] != null
	}
}

live_rows(table) := {id: r | some id, r in object.get(input.db, table, {}); object.get(r, "removed", null) == null}

member(id, _, "id") := {id}

# A composite val ("uuid|instance_name") joins the columns' texts like a
# composite by.
member(_, r, val) := {group_key(r, val)} if val != "id"

# ids_where: keys of the live rows of table whose column by is value, as an
# object from key to true.
ids_where(table, by, value) := object.get(group(table, by, "id"), key(value), {})

# A live VM by key; undefined when removed or unknown.
live_vm(id) := vm if {
	vm := input.db.vm_instance[id]
	object.get(vm, "removed", null) == null
}

# Every live VM. Walks the whole table: checks start from the groupings below.
vms := live_rows("vm_instance")

# Live VM ids (key → true) on a host id.
vm_ids_on_host(hid) := ids_where("vm_instance", "host_id", hid)

# Live VMs in any of the given states, or of one type, as id → row.
vms_in_states(states) := {id: input.db.vm_instance[id] |
	some s in states
	some id, _ in ids_where("vm_instance", "state", s)
}

vms_of_type(t) := {id: input.db.vm_instance[id] | some id, _ in ids_where("vm_instance", "type", t)}

# Live HA-enabled VM ids, as key → true and as a set.
ha_vm_ids := object.union(
	ids_where("vm_instance", "ha_enabled", true),
	ids_where("vm_instance", "ha_enabled", 1),
)

ha_vms := object.keys(ha_vm_ids)

# Live host-local (scope HOST) primary storage pool ids, and the ids of VMs
# (id → true) with a live volume on one of them: such VMs cannot live-migrate
# and HA cannot restart them elsewhere.
local_pools := {id | some id, p in object.get(input.db, "storage_pool", {}); p.removed == null; p.scope == "HOST"}

vm_ids_on_local_pools := object.union_n([object.get(group("volumes", "pool_id", "instance_id"), pid, {}) | some pid in local_pools])

# Live HA-enabled VM ids on a host, in any state or in one state.
ha_vm_ids_on_host(hid) := object.union(
	ids_where("vm_instance", "ha_enabled|host_id", sprintf("true|%v", [hid])),
	ids_where("vm_instance", "ha_enabled|host_id", sprintf("1|%v", [hid])),
)

ha_vm_ids_on_host_in_state(hid, state) := object.union(
	ids_where("vm_instance", "ha_enabled|state|host_id", sprintf("true|%s|%v", [state, hid])),
	ids_where("vm_instance", "ha_enabled|state|host_id", sprintf("1|%s|%v", [state, hid])),
)

# Memory (MB) and CPU (MHz) of the Running VMs on a host. An offering's fixed
# size is counted per offering rather than per VM; a custom offering (without
# ram_size, or cpu and speed) keeps each VM's size in vm_instance_details
# (memory, CpuNumber, CpuSpeed), read per VM only when such details exist.
# The grouping is read once per evaluation (a rule), not once per host.
vms_by_host_state_offering := group("vm_instance", "host_id/state|service_offering_id", "id")

running_vm_mb(hid) := sum([mb |
	some k, ids in object.get(vms_by_host_state_offering, key(hid), {})
	[s, o] := split(k, "|")
	s == "Running"
	mb := offering_group_mb(o, ids)
])

running_vm_cpu_mhz(hid) := sum([mhz |
	some k, ids in object.get(vms_by_host_state_offering, key(hid), {})
	[s, o] := split(k, "|")
	s == "Running"
	mhz := offering_group_mhz(o, ids)
])

offering_group_mb(o, ids) := count(ids) * offering_value(o, "ram_size") if {
	offering_value(o, "ram_size")
} else := 0 if {
	count(size_details) == 0
} else := sum([vm_size(id, "memory") | some id, _ in ids])

offering_group_mhz(o, ids) := (count(ids) * offering_value(o, "cpu")) * offering_value(o, "speed") if {
	offering_value(o, "cpu")
	offering_value(o, "speed")
} else := 0 if {
	count(size_details) == 0
} else := sum([(vm_size(id, "CpuNumber") * vm_size(id, "CpuSpeed")) | some id, _ in ids])

offering_value(o, col) := to_number(v) if {
	v := input.db.service_offering[o][col]
	v != null
	to_number(v) > 0
}

# Detail row keys by VM id, built once: only VMs of custom offerings have them.
size_details := group("vm_instance_details", "vm_id", "id")

# A VM's size from its details, else its offering's, else 0.
vm_size(id, detail) := vm_details(id)[detail] if {
	vm_details(id)[detail] > 0
} else := size_from_offering(id, col_of(detail))

size_from_offering(id, col) := v if {
	v := offering_value(key(input.db.vm_instance[id].service_offering_id), col)
} else := 0

col_of("memory") := "ram_size"

col_of("CpuNumber") := "cpu"

col_of("CpuSpeed") := "speed"

# The numeric size details of a VM, by detail name.
vm_details(id) := {r.name: to_number(r.value) |
	some d, _ in size_details[id]
	r := input.db.vm_instance_details[d]
	r.name in {"memory", "CpuNumber", "CpuSpeed"}
	regex.match(`^[0-9]+(\.[0-9]+)?$`, r.value)
}

offering_ram_mb(o) := to_number(input.db.service_offering[o].ram_size) if {
	input.db.service_offering[o].ram_size != null
} else := 0

# libvirt domains in an active state (a QEMU process exists) on each live
# hypervisor host whose domains were collected, by host id, as "uuid|name" keys
# (domain_key): those that run, and those that are one side of a migration in
# flight (paused for an incoming migration, or either side of a post-copy
# one), which count neither as running nor as absent. The libvirt collector
# records reasons as words (collectors/libvirt ReasonName); a daemon without
# bulk stats gives no reason, and such a domain counts as running.
active_domain_states := {"running", "paused", "blocked", "shutdown", "pmsuspended"}

domain_migration_reasons := {"migration", "postcopy", "postcopy_failed"}

domain_in_migration(d) if {
	d.state in {"paused", "running"}
	object.get(d, "reason", "") in domain_migration_reasons
}

# libvirt prints uuids in lower case; the name is matched as is.
domain_key(d) := concat("|", [lower(domain_uuid(d)), d.name])

domain_uuid(d) := d.uuid if {
	is_string(d.uuid)
} else := ""

running_domains_by_host := x if {
	x := data.csaudit.index.running_domains_by_host
} else := {hid: keys |
	some hid, h in routing_hosts
	keys := {domain_key(d): true | some d in input.hosts[h.uuid].domains.domains; is_string(d.name); d.state in active_domain_states; not domain_in_migration(d)}
	count(keys) > 0
}

migrating_domains_by_host := x if {
	x := data.csaudit.index.migrating_domains_by_host
} else := {hid: keys |
	some hid, h in routing_hosts
	keys := {domain_key(d): true | some d in input.hosts[h.uuid].domains.domains; is_string(d.name); d.state in active_domain_states; domain_in_migration(d)}
	count(keys) > 0
}

# Seconds within which a DB/hypervisor disagreement may be a change caught
# mid-collection: param drift_grace_seconds, else 2 x ping.interval, the age at
# which CloudStack itself declares a VM missing from its host's power report
# (VirtualMachinePowerStateSyncImpl).
drift_grace_seconds := param_or("drift_grace_seconds", 2 * to_number(setting("ping.interval")))

# VM-HA switched off for a zone: vm.ha.enabled (Zone scope, default true) false
# globally or in the zone's data_center_details. CloudStack then files no HA
# work for the zone's VMs, so HA-enabled VMs there are unprotected and the
# other HA checks leave them to CSA-HA-007.
vm_ha_off(zid) if lower(sprintf("%v", [effective_setting("vm.ha.enabled", {"zone": zid})])) == "false"

ha_off_zones := {zid | some zid, _ in zones; vm_ha_off(zid)}

# HA-enabled VM ids on a host whose zone has VM-HA on.
protected_ha_vm_ids_on_host(hid) := ha_vm_ids_on_host(hid) if {
	not key(routing_hosts[hid].data_center_id) in ha_off_zones
} else := {}

# Live HA-enabled VMs (id set) in zones with VM-HA on.
protected_ha_vms := ha_vms if {
	count(ha_off_zones) == 0
} else := {id | some id in ha_vms; not key(input.db.vm_instance[id].data_center_id) in ha_off_zones}
