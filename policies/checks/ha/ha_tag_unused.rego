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
#     summary: Tag the hosts meant for HA restarts with the ha.tag value, or clear ha.tag.
#     commands:
#       - kind: cmk
#         text: cmk update host id=<host uuid> hosttags=<ha.tag value>
#       - kind: cmk
#         text: cmk update configuration name=ha.tag value=
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
	}
}

severity := "high" if count(lib.protected_ha_vms) > 0

else := "low"
