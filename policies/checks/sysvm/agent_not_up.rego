# METADATA
# title: System VM running but its agent is not Up
# description: >-
#   A secondary storage VM or console proxy VM is Running, but the agent host row it
#   registers as (type SecondaryStorageVM / ConsoleProxy, named after the VM) is not Up or
#   missing. The VM runs but the management server cannot use it: template, ISO, snapshot
#   and volume copies fail (SSVM), consoles fail (CPVM). Seed 004 describes the
#   "Disconnected" system VM agent and restarting the cloud service. High for an SSVM (the
#   rubric's "no running SSVM in a zone" in effect), medium for a console proxy.
# custom:
#   id: CSA-SYSVM-002
#   severity: high
#   category: system-vms
#   remediation:
#     summary: Check the agent inside the system VM (/var/log/cloud.log, systemctl restart cloud); if it does not connect, destroy the system VM so CloudStack recreates it.
#     commands:
#       - kind: shell
#         text: ssh -i /var/lib/cloudstack/management/.ssh/id_rsa -p 3922 root@<link-local ip> 'systemctl restart cloud; tail -50 /var/log/cloud.log'
#       - kind: cmk
#         text: cmk destroy systemvm id={uuid}
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (agent Disconnected, systemctl restart cloud)
#   controls: [availability]
#   requires: [db.vm_instance, db.host]
package csaudit.checks.sysvm.agent_not_up

import data.csaudit.lib

agent_types := {"SecondaryStorageVm": "SecondaryStorageVM", "ConsoleProxy": "ConsoleProxy"}

# Agent rows by name; a name may repeat across re-registrations, so keep all.
agent_statuses[h.name] contains h.status if {
	some h in lib.hosts
	h.type in {"SecondaryStorageVM", "ConsoleProxy"}
}

agent_status(name) := "Up" if {
	"Up" in agent_statuses[name]
} else := concat("/", sort(agent_statuses[name])) if {
	agent_statuses[name]
} else := "missing"

deny contains f if {
	some t, _ in agent_types
	some id, vm in lib.vms_of_type(t)
	vm.state == "Running"
	status := agent_status(vm.instance_name)
	status != "Up"
	f := {
		"resource": lib.vm_resource(id, vm),
		"severity": severity(vm),
		"message": sprintf("%s is Running but its agent is %s", [vm.instance_name, status]),
		"evidence": {"agent_status": status, "host_id": vm.host_id},
	}
}

severity(vm) := "high" if vm.type == "SecondaryStorageVm"

else := "medium"
