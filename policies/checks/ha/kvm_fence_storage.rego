# METADATA
# title: KVM hosts are not fenced when one storage heartbeat fails
# description: >-
#   kvm.ha.fence.on.storage.heartbeat.failure is false (its default) for a zone whose KVM
#   hosts run HA-enabled VMs. When a host loses the heartbeat on only one of several
#   primary storage pools, CloudStack then does not fence it, so HA does not restart the
#   VMs stuck on that pool. Seed 002 ties HA to storage heartbeats; the setting is
#   CloudStack's (Zone scope). Filed against the zone when a zone override holds the value,
#   else against the setting. Low: a weaker-than-recommended default for HA clouds.
# custom:
#   id: CSA-HA-005
#   severity: low
#   category: ha
#   remediation:
#     summary: "Consider fencing on a single storage heartbeat failure where HA VMs run on several pools: set it for the zone. The setting is not dynamic: restart the management servers one at a time afterwards."
#     commands:
#       - kind: cmk
#         text: "cmk list configurations name=kvm.ha.fence.on.storage.heartbeat.failure zoneid={zone_uuid} filter=name,value,scope"
#       - kind: cmk
#         text: "cmk update configuration name=kvm.ha.fence.on.storage.heartbeat.failure value=true zoneid={zone_uuid}"
#       - kind: shell
#         text: "systemctl restart cloudstack-management"
#   references:
#     - seed:002_87316531120da61b.txt (storage heartbeat)
#     - cloudstack:setting kvm.ha.fence.on.storage.heartbeat.failure
#   controls: [ha]
#   requires: [db.vm_instance, db.host, db.data_center, settings]
package csaudit.checks.ha.kvm_fence_storage

import data.csaudit.lib

name := "kvm.ha.fence.on.storage.heartbeat.failure"

ha_kvm_zones contains lib.key(h.data_center_id) if {
	some hid, h in lib.routing_hosts
	h.hypervisor_type == "KVM"
	count(lib.protected_ha_vm_ids_on_host(hid)) > 0
}

overridden(zid) if input.settings[name].overrides.zone[zid]

deny contains f if {
	some zid in ha_kvm_zones
	overridden(zid)
	lower(lib.effective_setting(name, {"zone": zid})) != "true"
	z := lib.zones[zid]
	f := {
		"resource": lib.zone_resource(zid, z),
		"message": sprintf("zone %s overrides %s to false while KVM hosts run HA VMs", [z.name, name]),
		"evidence": {"setting": name, "value": lib.effective_setting(name, {"zone": zid})},
		"args": {"zone_uuid": z.uuid},
	}
}

deny contains f if {
	some zid in ha_kvm_zones
	not overridden(zid)
	lower(lib.setting(name)) != "true"
	f := {
		"resource": lib.setting_resource(name),
		"message": sprintf("%s is false while KVM hosts in zone %v run HA VMs", [name, zid]),
		"evidence": {"value": lib.setting(name), "zone_id": zid},
		"args": {"zone_uuid": object.get(lib.zones, [zid, "uuid"], "")},
	}
}
