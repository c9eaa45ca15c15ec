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
vms := {id: vm | some id, vm in object.get(input.db, "vm_instance", {}); vm.removed == null}

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

# Live VMs per host id. Indexes are complete objects grouped through
# comprehension indexing: built once (O(n)) and looked up in O(1). A multi-value
# rule looked up by key would rescan its body for every key.
vms_on_host := {key(h): ids |
	some h in {vm.host_id | some vm in vms; vm.host_id != null}
	ids := {id | some id, vm in vms; vm.host_id == h}
}

# A VM has a live job when a vm_work_job row joins an in-progress async_job
# (job_status 0) whose executing management server is alive.
live_job_vms := {key(w.vm_instance_id) |
	some id, w in object.get(input.db, "vm_work_job", {})
	job := input.db.async_job[id]
	job.job_status == 0
	ms_alive(job.job_executing_msid)
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

pool_resource(id, p) := {"type": "storage_pool", "id": id, "uuid": p.uuid, "name": p.name}

# Hypervisor host ids per cluster id.
hosts_in_cluster := {key(c): ids |
	some c in {h.cluster_id | some h in routing_hosts; h.cluster_id != null}
	ids := {id | some id, h in routing_hosts; h.cluster_id == c}
}

# VM ids per hypervisor instance name (what libvirt and agent rows are named after).
vm_ids_by_instance_name := {name: ids |
	some name in {vm.instance_name | some vm in vms; vm.instance_name != null}
	ids := {id | some id, vm in vms; vm.instance_name == name}
}

ha_vms := {id | some id, vm in vms; truthy(vm.ha_enabled)}

# Memory (MB) a VM's service offering gives it; 0 when unknown (custom offerings
# keep it in user_vm_details, which is not collected).
vm_ram_mb(vm) := to_number(input.db.service_offering[key(vm.service_offering_id)].ram_size) if {
	vm.service_offering_id != null
} else := 0

# A VM's zone id for effective zone-scoped settings.
zone_scope(vm) := {"zone": vm.data_center_id}

# [instance_type, instance id] of objects an in-progress async job works on
# whose executing management server is alive: "someone is working on it".
live_jobs_on := {[job.instance_type, key(job.instance_id)] |
	some job in object.get(input.db, "async_job", {})
	job.job_status == 0
	job.instance_id != null
	ms_alive(job.job_executing_msid)
}

# Minutes after which CloudStack force-cancels an in-progress async job.
job_cancel_minutes := to_number(setting("job.cancel.threshold.minutes"))

# VM ids per vm_instance.type, so checks about system VMs or routers do not
# walk every user VM.
# Grouped over CloudStack's own VirtualMachine.Type values (states.md) rather
# than the distinct values found, which would cost another pass over every VM.
vm_types := {
	"User", "DomainRouter", "ConsoleProxy", "SecondaryStorageVm", "ElasticIpVm",
	"ElasticLoadBalancerVm", "InternalLoadBalancerVm", "NetScalerVm", "UserBareMetal", "Instance",
}

vm_ids_by_type := {t: ids |
	some t in vm_types
	ids := {id | some id, vm in vms; vm.type == t}
}

vms_of_type(t) := {id: vms[id] | some id in object.get(vm_ids_by_type, t, set())}

# VM ids per state, for checks about a few states (transitional, Destroyed).
# VirtualMachine.State values (states.md); see vm_types.
vm_states := {
	"Starting", "Running", "Stopping", "Stopped", "Destroyed", "Expunging",
	"Migrating", "Error", "Unknown", "Shutdown", "Restoring",
}

vm_ids_by_state := {s: ids |
	some s in vm_states
	ids := {id | some id, vm in vms; vm.state == s}
}

vms_in_states(states) := {id: vms[id] | some s in states; some id in object.get(vm_ids_by_state, s, set())}
