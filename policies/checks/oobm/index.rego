# Indexes shared by the out-of-band management checks: oobm rows by host, which
# hosts are under Host-HA, and the resource a BMC fact is filed against.
package csaudit.checks.oobm.index

import data.csaudit.lib

# Columns arrive as booleans or 0/1 depending on the column type.
truthy(v) if v == true

truthy(v) if v == 1

truthy(v) if v == "1"

truthy(v) if {
	is_string(v)
	lower(v) == "true"
}

ids_by_host[lib.key(r.host_id)] contains id if {
	some id, r in object.get(input.db, "oobm", {})
	r.host_id != null
}

# CloudStack keeps one oobm row per host (findByHost); the lowest id wins if not.
by_host[hid] := input.db.oobm[sort(ids)[0]] if some hid, ids in ids_by_host

enabled(hid) if truthy(by_host[hid].enabled)

# Host-HA: ha_config enabled for the host (resource_type Host), or
# cluster_details resourceHAEnabled=true for its cluster.
ha_config_hosts contains lib.key(c.resource_id) if {
	some c in object.get(input.db, "ha_config", {})
	c.resource_type == "Host"
	truthy(c.enabled)
}

ha_clusters contains lib.key(d.cluster_id) if {
	some d in object.get(input.db, "cluster_details", {})
	d.name == "resourceHAEnabled"
	truthy(d.value)
}

host_ha(hid) if hid in ha_config_hosts

host_ha(hid) if {
	h := lib.routing_hosts[hid]
	h.cluster_id != null
	lib.key(h.cluster_id) in ha_clusters
}

# BMC facts by host id, for joins from the database side. A complete object,
# built once: a partial rule looked up by a computed key rescans every fact.
fact_by_host := {f.host_id: f |
	some f in input.oobm
	f.host_id != ""
}

# What the collector saw makes OOBM "not working" for a host.
bmc_broken(hid) if fact_by_host[hid].reachable == false

# The BMC answered the presence ping but not IPMI.
bmc_broken(hid) if fact_by_host[hid].ipmi_answering == false

bmc_broken(hid) if fact_by_host[hid].auth == "failed"

# Working OOBM as CloudStack sees it: an enabled row whose power state its
# background sync could read, and no contrary evidence from the BMC itself.
working(hid) if {
	enabled(hid)
	by_host[hid].power_state in {"On", "Off"}
	not bmc_broken(hid)
}

# The resource of a BMC fact: the host row when the database was read.
fact_resource(key, f) := lib.host_resource(f.host_id, lib.hosts[f.host_id]) if {
	lib.hosts[f.host_id]
} else := {"type": "host", "id": f.host_id, "uuid": key, "name": object.get(f, "host_name", "")}

# Severity of a broken BMC: high for a Host-HA host (fencing is silently
# broken), medium otherwise.
ha_severity(hid) := "high" if {
	host_ha(hid)
} else := "medium"

# HA-enabled VMs per cluster, through the hosts each runs on: per host, the
# grouping by (ha_enabled, host_id).
ha_vms_in_cluster := {cid: n |
	some cid, hids in lib.hosts_in_cluster
	n := sum([count(lib.protected_ha_vm_ids_on_host(hid)) | some hid in hids])
}

# ha_vms(hid) is the number of HA-enabled VMs in the host's cluster.
ha_vms(hid) := n if {
	h := lib.routing_hosts[hid]
	h.cluster_id != null
	n := ha_vms_in_cluster[lib.key(h.cluster_id)]
}

# host_ha as a value for evidence (never undefined).
is_host_ha(hid) if {
	host_ha(hid)
} else := false
