# METADATA
# title: VM-HA switched off where HA-enabled VMs run
# description: >-
#   vm.ha.enabled (Zone scope, default true) is false, globally or in a zone's
#   data_center_details, while HA-enabled VMs (vm_instance.ha_enabled) live in that zone.
#   With it off, HighAvailabilityManagerImpl files no new HA work items: a VM whose host
#   fails is not restarted, though its offering still says HA, so HA is silently off. High
#   per the rubric. The other HA checks treat these VMs as unprotected and leave them to
#   this check. Filed against the zone when a zone override holds the value, else against
#   the setting. Source: settings.tsv (vm.ha.enabled), HighAvailabilityManagerImpl.
# custom:
#   id: CSA-HA-007
#   severity: high
#   category: ha
#   remediation:
#     summary: >-
#       Find out why VM-HA was switched off (often during maintenance) and whether that reason
#       still holds; then clear the zone override (or set the global value back to true) so
#       CloudStack files HA work again. The setting is dynamic; no restart is needed.
#     steps:
#       - Diagnose - read the global value and the zone's value of vm.ha.enabled.
#       - Verify - list the zone's HA-enabled VMs that would be restarted, and that no maintenance still needs HA off.
#       - Act - reset the zone's override, or set the global value back to true.
#     commands:
#       - kind: cmk
#         text: cmk list configurations name=vm.ha.enabled zoneid={uuid}
#       - kind: cmk
#         text: cmk list virtualmachines zoneid={uuid} haenable=true filter=name,state,hostname
#       - kind: cmk
#         text: cmk reset configuration name=vm.ha.enabled zoneid={uuid}
#   references:
#     - cloudstack:server/src/main/java/com/cloud/ha/HighAvailabilityManagerImpl.java (VmHaEnabled)
#     - cloudstack:settings.tsv vm.ha.enabled
#   controls: [availability, ha]
#   requires: [db.vm_instance, db.data_center, settings]
package csaudit.checks.ha.vm_ha_disabled

import data.csaudit.lib

name := "vm.ha.enabled"

# Zone id -> number of live HA-enabled VMs in zones with VM-HA off.
off := {zid: n |
	some zid, _ in lib.zones
	lib.vm_ha_off(zid)
	n := count([id | some id in lib.ha_vms; lib.key(input.db.vm_instance[id].data_center_id) == zid])
	n > 0
}

overridden(zid) if input.settings[name].overrides.zone[zid] != null

deny contains f if {
	some zid, n in off
	overridden(zid)
	z := lib.zones[zid]
	f := {
		"resource": lib.zone_resource(zid, z),
		"message": sprintf("zone %s sets vm.ha.enabled=false while %d HA-enabled VM(s) run there: they will not be restarted", [z.name, n]),
		"evidence": {"setting": name, "value": input.settings[name].overrides.zone[zid], "ha_vms": n},
	}
}

deny contains f if {
	zids := [zid | some zid, _ in off; not overridden(zid)]
	count(zids) > 0
	f := {
		"resource": lib.setting_resource(name),
		"message": sprintf("vm.ha.enabled is false while %d HA-enabled VM(s) run in zone(s) %v: they will not be restarted", [sum([off[z] | some z in zids]), sort(zids)]),
		"evidence": {"value": lib.setting(name), "zones": sort(zids), "ha_vms": sum([off[z] | some z in zids])},
	}
}
