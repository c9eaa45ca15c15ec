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
#     summary: "Check the agent inside the system VM (/var/log/cloud.log, the cloud service) over its control address; if it does not connect, destroy the system VM so CloudStack recreates it. On KVM and XenServer the control address is link-local (169.254.x.x) and only reachable from the hypervisor host that runs it, with /root/.ssh/id_rsa.cloud; on VMware it is reached from a management server over the private IP with the management server's key."
#     commands:
#       - kind: cmk
#         text: "cmk list systemvms id={uuid} filter=name,state,agentstate,hostname,linklocalip,privateip"
#       - kind: shell
#         text: "ssh -i /root/.ssh/id_rsa.cloud -p 3922 root@<link-local-ip> 'systemctl status cloud; tail -50 /var/log/cloud.log'"
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
		"remediation": remediation(vm),
	}
}

list_sysvm := {"kind": "cmk", "text": "cmk list systemvms id={uuid} filter=name,state,agentstate,hostname,linklocalip,privateip"}

destroy := {"kind": "cmk", "text": "cmk destroy systemvm id={uuid}"}

remediation(vm) := {
	"summary": "On VMware the system VM is reached from a management server over its private IP, port 3922, with the management server's key. Check the cloud service and /var/log/cloud.log inside it and restart the service; only if the agent still does not connect, destroy the system VM so CloudStack recreates it.",
	"commands": [
		list_sysvm,
		{"kind": "shell", "text": "ssh -i /var/lib/cloudstack/management/.ssh/id_rsa -p 3922 root@<private-ip> 'systemctl status cloud; tail -50 /var/log/cloud.log'"},
		{"kind": "shell", "text": "ssh -i /var/lib/cloudstack/management/.ssh/id_rsa -p 3922 root@<private-ip> 'systemctl restart cloud'"},
		destroy,
	],
} if {
	object.get(vm, "hypervisor_type", "") == "VMware"
} else := {
	"summary": "The system VM's control address is link-local (169.254.x.x, linklocalip): reach it from the hypervisor host that runs it, port 3922, with /root/.ssh/id_rsa.cloud. Check the cloud service and /var/log/cloud.log inside it and restart the service; only if the agent still does not connect, destroy the system VM so CloudStack recreates it.",
	"steps": [
		"Find the system VM's host and link-local address.",
		"On that host, log in to the system VM and read the cloud service's state and /var/log/cloud.log.",
		"Restart the cloud service; destroy the system VM only if its agent still does not connect.",
	],
	"commands": [
		list_sysvm,
		{"kind": "shell", "text": "ssh -i /root/.ssh/id_rsa.cloud -p 3922 root@<link-local-ip> 'systemctl status cloud; tail -50 /var/log/cloud.log'"},
		{"kind": "shell", "text": "ssh -i /root/.ssh/id_rsa.cloud -p 3922 root@<link-local-ip> 'systemctl restart cloud'"},
		destroy,
	],
}

severity(vm) := "high" if vm.type == "SecondaryStorageVm"

else := "medium"
