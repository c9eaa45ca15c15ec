# METADATA
# title: ha.tag set but no host carries the tag
# description: >-
#   The global setting ha.tag is set, so CloudStack restarts HA-enabled VMs only on hosts
#   tagged with it, but no enabled, non-removed hypervisor host has that tag (host_tags).
#   Seed 003 describes dedicating hosts to HA with this tag. With no tagged host every HA
#   restart fails for lack of capacity. High when HA-enabled VMs exist (HA silently
#   broken), low otherwise. The seed's `ha.enabled` setting does not exist in CloudStack;
#   VM HA is vm.ha.enabled (zone) plus the offering's HA flag.
# custom:
#   id: CSA-HA-003
#   severity: high
#   category: ha
#   remediation:
#     summary: "ha.tag reserves hosts for HA restarts, yet no Enabled host carries it, so HA has nowhere to restart VMs. Tag at least one Enabled host of each cluster that runs HA VMs (updateHost's hosttags replaces the host's whole tag list: repeat its current tags), or clear ha.tag with reset configuration; ha.tag is not dynamic, so clearing it takes effect once the management servers restart, one at a time."
#     commands:
#       - kind: cmk
#         text: "cmk list hosts type=Routing filter=id,name,hosttags,resourcestate,clustername"
#       - kind: cmk
#         text: "cmk update host id=<host-uuid> hosttags={tag}"
#       - kind: cmk
#         text: "cmk reset configuration name=ha.tag"
#       - kind: shell
#         text: "systemctl restart cloudstack-management"
#   references:
#     - seed:003_890368c12d4364b1.txt (Dedicated HA Hosts, ha.tag)
#     - cloudstack:setting ha.tag
#   controls: [availability, ha]
#   requires: [db.host, db.host_tags, db.vm_instance, settings]
package csaudit.checks.ha.ha_tag_unused

import data.csaudit.lib

# NULL by default: no HA-only hosts.
tag := trim_space(v) if {
	v := lib.setting("ha.tag")
	is_string(v)
} else := ""

tagged := {lib.key(t.host_id) |
	some t in object.get(input.db, "host_tags", {})
	t.tag == tag
	h := lib.routing_hosts[lib.key(t.host_id)]
	h.resource_state == "Enabled"
}

deny contains f if {
	tag != ""
	count(tagged) == 0
	f := {
		"resource": lib.setting_resource("ha.tag"),
		"severity": severity,
		"message": sprintf("ha.tag is %q but no enabled host carries it (%d HA-enabled VMs)", [tag, count(lib.protected_ha_vms)]),
		"evidence": {"value": tag, "ha_vms": count(lib.protected_ha_vms)},
		"args": {"tag": tag},
	}
}

severity := "high" if count(lib.protected_ha_vms) > 0

else := "low"
