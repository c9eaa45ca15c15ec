# Matching shared by the advisory checks: which running versions an advisory or
# known bug (data.csaudit.advisories, parsed by policies/advisory) affects, the
# fixed release of each version's own line, and whether the snapshot shows the
# affected feature switched off. Versions are four numbers (4.20.2 = 4.20.2.0).
package csaudit.checks.advisory.match

import data.csaudit.lib

default advisory_data := {}

advisory_data := data.csaudit.advisories

entries := object.get(advisory_data, "entries", {})

data_label := sprintf("%s, newest advisory %s", [advisory_data.source, advisory_data.date])

# version reads the first four numbers of "4.22.0.0", "4.20.2" or
# "4.22.0.0-SNAPSHOT"; missing parts are 0.
version(s) := [to_number(x) |
	some x in array.slice(array.concat(regex.find_n(`[0-9]+`, s, 4), ["0", "0", "0", "0"]), 0, 4)
]

version_text(v) := concat(".", [sprintf("%v", [n]) | some n in v])

holds(">=", v, b) if v >= b

holds(">", v, b) if v > b

holds("<=", v, b) if v <= b

holds("<", v, b) if v < b

holds("=", v, b) if v == b

affects(e, v) if {
	some r in e.affected
	every c in r {
		holds(c.op, v, c.version)
	}
}

# The lowest fixed release above v on v's own line, else on a later line.
fix_for(e, v) := min(same) if {
	same := [x | some x in e.fixed; x > v; x[0] == v[0]; x[1] == v[1]]
	count(same) > 0
} else := min(later) if {
	later := [x | some x in e.fixed; x > v]
	count(later) > 0
}

fix_text(e, v) := sprintf("fixed in %s", [version_text(f)]) if {
	f := fix_for(e, v)
	array.slice(f, 0, 2) == array.slice(v, 0, 2)
} else := sprintf("no fix on the %v.%v line; fixed in %s", [v[0], v[1], version_text(f)]) if {
	f := fix_for(e, v)
} else := "no fixed release published" if {
	lower(e.fixed_text) == "none"
} else := sprintf("no fixed release published (%s)", [e.fixed_text])

# Up management servers run the cloud; with none Up, the installed ones stand in.
up_ms := {id: m | some id, m in lib.mshosts; m.state == "Up"; is_string(m.version)}

ms_running := up_ms if {
	count(up_ms) > 0
} else := {id: m | some id, m in lib.mshosts; is_string(m.version)}

# What runs CloudStack code, by side: management servers, KVM agents
# (host.version), and the agents inside the SSVM and console proxies.
components contains {"side": "management_server", "role": "management server", "resource": lib.ms_resource(id, m), "version": m.version} if {
	some id, m in ms_running
}

components contains {"side": "kvm_agent", "role": "KVM agent", "resource": lib.host_resource(id, h), "version": h.version} if {
	some id, h in lib.routing_hosts
	h.hypervisor_type == "KVM"
	is_string(h.version)
	h.version != ""
}

components contains {"side": "system_vm", "role": "system VM agent", "resource": lib.host_resource(id, h), "version": h.version} if {
	some id, h in lib.hosts
	h.type in {"SecondaryStorageVM", "ConsoleProxy"}
	is_string(h.version)
	h.version != ""
}

side_versions[side] := {c.version | some c in components; c.side == side} if {
	some side in {"management_server", "kvm_agent", "system_vm"}
}

# side -> version -> the components there, and a summary for messages; built
# once, so an advisory's findings never rescan thousands of hosts.
members[side][v] := [c | some c in components; c.side == side; c.version == v] if {
	some side, vs in side_versions
	some v in vs
}

summaries[side][v] := {
	"version": v,
	"role": ms[0].role,
	"rank": role_rank[ms[0].role],
	"count": count(ms),
	"servers": array.slice(sort([sprintf("%v", [c.resource.name]) | some c in ms]), 0, 20),
} if {
	some side, by_version in members
	some v, ms in by_version
}

# id -> the [side, version] pairs an entry affects; only entries that affect
# something running.
hits[id] := keys if {
	some id, e in entries
	keys := {[side, v] |
		some side in e.sides
		some v in object.get(side_versions, side, set())
		affects(e, version(v))
	}
	count(keys) > 0
}

# Everything the entry concerns is affected.
whole_cloud(id) if {
	every side in entries[id].sides {
		every v in object.get(side_versions, side, set()) {
			[side, v] in hits[id]
		}
	}
}

# --- Exposure ---

covered(fact) if {
	c := input.coverage[fact]
	count(object.get(c, "failed", {})) == 0
}

# A setting's values anywhere: the global (or default) and every override.
setting_values(name) := {v |
	some v in array.concat(
		[x | x := lib.setting(name)],
		[x | some _, m in object.get(input.settings[name], "overrides", {}); some x in m],
	)
	is_string(v)
}

hypervisors_present := {h.hypervisor_type | some h in lib.routing_hosts}

pool_types_present := {p.pool_type | some p in lib.live_rows("storage_pool")}

state(c) := "unknown" if {
	c.kind in {"setting", "setting_lacks"}
	not covered("settings")
} else := "unknown" if {
	c.kind in {"setting", "setting_lacks"}
	not input.settings[c.name]
} else := "on" if {
	c.kind == "setting"
	some v in setting_values(c.name)
	lower(v) == c.value
} else := "off" if {
	c.kind == "setting"
} else := "off" if {
	c.kind == "setting_lacks"
	some v in setting_values(c.name)
	c.value in {trim_space(x) | some x in split(v, ",")}
} else := "on" if {
	c.kind == "setting_lacks"
} else := "unknown" if {
	c.kind == "hypervisor"
	not covered("db.host")
} else := "on" if {
	c.kind == "hypervisor"
	c.value in hypervisors_present
} else := "off" if {
	c.kind == "hypervisor"
} else := "unknown" if {
	c.kind == "pool_type"
	not covered("db.storage_pool")
} else := "on" if {
	c.kind == "pool_type"
	c.value in pool_types_present
} else := "off" if {
	c.kind == "pool_type"
} else := "unknown" if {
	c.kind in {"table", "table_where"}
	not covered(concat(".", ["db", c.table]))
} else := "on" if {
	c.kind == "table"
	count(lib.live_rows(c.table)) > 0
} else := "on" if {
	c.kind == "table_where"
	some r in lib.live_rows(c.table)
	r[c.column] == c.value
} else := "off" if {
	c.kind in {"table", "table_where"}
} else := "unknown"

judged(e) := [object.union(
	{"condition": c.text, "state": state(c), "gating": c.gating},
	{"note": c.note | c.note},
) |
	some c in e.conditions
]

# not exposed: a necessary condition is seen off. exposed: every condition
# csaudit reads holds, or the data says the version alone decides.
exposure(e, judgement) := "not exposed" if {
	some j in judgement
	j.gating
	j.state == "off"
} else := "exposed" if {
	count(judgement) > 0
	every j in judgement {
		j.state == "on"
	}
} else := "exposed" if {
	startswith(e.detectable_by, "version only")
} else := "not judged"

severity(_, "not exposed") := "info"

severity(e, x) := e.severity if x != "not exposed"

# --- Findings ---

label(e) := e.id if e.kind == "advisory"

else := sprintf("known bug apache/cloudstack#%s", [e.id])

described(e) := sprintf("%s (%s, %s)", [label(e), e.severity_word, e.component]) if e.kind == "advisory"

else := label(e)

max_names := 5

role_rank := {"management server": 0, "KVM agent": 1, "system VM agent": 2}

# Affected servers grouped by version and role, management servers first.
groups(e, keys) := [object.union(g, {"fixed_in": fix_text(e, version(g.version))}) |
	some k in sort([[s.version, s.rank, side] |
		some [side, v] in keys
		s := summaries[side][v]
	])
	g := object.remove(summaries[k[2]][k[0]], ["rank"])
]

server_group(e, c) := [{"version": c.version, "role": c.role, "count": 1, "servers": [sprintf("%v", [c.resource.name])], "fixed_in": fix_text(e, version(c.version))}]

group_text(g) := sprintf("%s %s runs %s (%s)", [g.role, names_text(g), g.version, g.fixed_in]) if g.count == 1

else := sprintf("%ss %s run %s (%s)", [g.role, names_text(g), g.version, g.fixed_in])

names_text(g) := concat(", ", g.servers) if g.count <= max_names

else := sprintf("%s and %d more", [concat(", ", array.slice(g.servers, 0, max_names)), g.count - max_names])

message(e, gs, x, judgement) := sprintf("%s%s affects this cloud: %s", [prefix(x, judgement), described(e), concat("; ", [group_text(g) | some g in gs])])

prefix(x, judgement) := sprintf("not exposed (not so in this cloud: %s): ", [concat("; ", [j.condition | some j in judgement; j.gating; j.state == "off"])]) if x == "not exposed"

else := ""

# Remediation: diagnose (what runs), verify (is the feature in use), interim
# mitigation, then upgrade in the upgrade guide's order.
steps(e, gs) := [s |
	some s in array.concat(
		array.concat(
			["Confirm the versions running (commands below): the finding names the servers that run an affected release."],
			[x | count(e.conditions) > 0; x := sprintf("Check whether the affected feature is in use: %s.", [trim_right(e.detectable_by, ".")])],
		),
		array.concat(
			array.concat(interim(e), upgrade_steps(e, gs)),
			after(e),
		),
	)
]

interim(e) := [sprintf("Until upgraded: %s", [e.mitigation])] if {
	e.mitigation != ""
	not startswith(lower(e.mitigation), "upgrade")
} else := []

after(e) := [sprintf("After upgrading: %s", [trim_space(rest)])] if {
	startswith(lower(e.mitigation), "upgrade;")
	rest := substring(e.mitigation, 8, -1)
} else := []

fixes(gs) := sort({g.fixed_in | some g in gs})

upgrade_steps(e, _) := ["No fixed release is published: keep the interim measure and follow the advisory for a fix."] if {
	count(e.fixed) == 0
}

upgrade_steps(e, gs) := array.concat(
	[sprintf("Upgrade the management servers first, following the release's upgrade notes with a database backup taken before: %s.", [concat("; ", fixes(gs))])],
	array.concat(
		[x | "kvm_agent" in e.sides; x := "Then upgrade the cloudstack-agent package on every KVM host to the same release and restart the agent."],
		[x | "system_vm" in e.sides; x := "Then bring the system VMs to the release: once no template or volume copy is in progress, reboot the secondary storage VM and console proxies so they run the upgraded code."],
	),
) if count(e.fixed) > 0

commands(e) := array.concat(
	array.concat(
		[{"kind": "cmk", "text": "cmk list managementservers filter=name,version,state"}],
		[x | "kvm_agent" in e.sides; x := {"kind": "cmk", "text": "cmk list hosts type=Routing hypervisor=KVM filter=name,version,state"}],
	),
	array.concat(
		[x | "system_vm" in e.sides; x := {"kind": "cmk", "text": "cmk list hosts type=SecondaryStorageVM filter=name,version,state"}],
		[x |
			some n in sort({c.name | some c in e.conditions; c.kind in {"setting", "setting_lacks"}})
			x := {"kind": "cmk", "text": sprintf("cmk list configurations name=%s filter=name,value", [n])}
		],
	),
)

finding(id, resource, gs) := {
	"resource": resource,
	"discriminator": id,
	"severity": severity(e, x),
	"message": message(e, gs, x, judgement),
	"evidence": {
		"id": e.id,
		"kind": e.kind,
		"published": object.get(e, "published", ""),
		"advisory_severity": object.get(e, "severity_word", ""),
		"component": object.get(e, "component", ""),
		"summary": e.summary,
		"affected_ranges": e.affected_text,
		"fixed_in": e.fixed_text,
		"affected": gs,
		"exposure": x,
		"conditions": judgement,
		"source": e.source,
		"data": data_label,
	},
	"steps": steps(e, gs),
	"commands": commands(e),
} if {
	e := entries[id]
	judgement := judged(e)
	x := exposure(e, judgement)
}

# One finding per entry on the cloud when everything it concerns is affected,
# else one on each affected server.
findings(kind) := {f |
	some id, keys in hits
	entries[id].kind == kind
	whole_cloud(id)
	f := finding(id, {"type": "cloud", "name": "cloud"}, groups(entries[id], keys))
} | {f |
	some id, keys in hits
	entries[id].kind == kind
	not whole_cloud(id)
	some [side, v] in keys
	some c in members[side][v]
	f := finding(id, c.resource, server_group(entries[id], c))
}
