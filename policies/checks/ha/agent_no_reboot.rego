# METADATA
# title: KVM agent does not reboot the host on heartbeat timeout
# description: >-
#   On a KVM host that runs HA-enabled VMs, agent.properties sets
#   reboot.host.and.alert.management.on.heartbeat.timeout to false (its default is true).
#   The KVM heartbeat script then does not reboot a host that lost its storage heartbeat,
#   yet the management server restarts that host's HA VMs elsewhere: the VMs may run
#   twice on the same disks. High per the rubric: fencing is silently broken.
#   Source: KVM agent (agent.properties key, LibvirtComputingResource / kvmheartbeat.sh).
# custom:
#   id: CSA-HA-006
#   severity: high
#   category: ha
#   remediation:
#     summary: "Remove the key (or set it to true) in /etc/cloudstack/agent/agent.properties and restart the agent (restarting cloudstack-agent does not stop the VMs)."
#     commands:
#       - kind: shell
#         text: "grep -n '^reboot.host.and.alert.management.on.heartbeat.timeout' /etc/cloudstack/agent/agent.properties"
#       - kind: shell
#         text: "sed -i 's/^reboot.host.and.alert.management.on.heartbeat.timeout=.*/reboot.host.and.alert.management.on.heartbeat.timeout=true/' /etc/cloudstack/agent/agent.properties && systemctl restart cloudstack-agent"
#   references:
#     - cloudstack:agent/conf/agent.properties (reboot.host.and.alert.management.on.heartbeat.timeout)
#     - seed:003_890368c12d4364b1.txt (HA restarts)
#   controls: [ha, integrity]
#   requires: [hosts.agent_properties, db.host, db.vm_instance]
package csaudit.checks.ha.agent_no_reboot

import data.csaudit.lib

key := "reboot.host.and.alert.management.on.heartbeat.timeout"

ha_hosts contains hid if {
	some hid, _ in lib.routing_hosts
	count(lib.protected_ha_vm_ids_on_host(hid)) > 0
}

deny contains f if {
	some hid in ha_hosts
	h := lib.routing_hosts[hid]
	h.hypervisor_type == "KVM"
	v := input.hosts[h.uuid].agent_properties.values[key]
	lower(trim_space(v)) == "false"
	f := {
		"resource": lib.host_resource(hid, h),
		"message": sprintf("%s=false on %s, which runs HA-enabled VMs", [key, h.name]),
		"evidence": {"key": key, "value": v},
	}
}
