# METADATA
# title: Destroyed VM not expunged in time
# description: >-
#   A VM has been Destroyed for longer than expunge.delay + expunge.interval (CloudStack's
#   own settings, defaults 86400 s each; param expunge_backlog_seconds overrides the sum),
#   so the expunge thread should already have removed it. A backlog means the expunge
#   thread is failing (often storage that cannot delete the volumes) and the VM keeps its
#   IP addresses, volumes and capacity. Medium per the rubric: a resource stuck beyond its
#   threshold. Source: CloudStack settings expunge.delay/expunge.interval (settings.tsv)
#   and the VM state machine (Destroyed -> Expunging, states.md).
# custom:
#   id: CSA-STUCK-002
#   severity: medium
#   category: stuck-state
#   remediation:
#     summary: "Find out why the expunge thread skips the VM (management-server.log, storage errors), fix that, then expunge it through the API."
#     commands:
#       - kind: shell
#         text: "grep -i expung /var/log/cloudstack/management/management-server.log | grep -F -e {name} | tail -20"
#       - kind: cmk
#         text: "cmk list volumes virtualmachineid={uuid} listall=true filter=name,state,storage"
#       - kind: cmk
#         text: "cmk expunge virtualmachine id={uuid}"
#   references:
#     - cloudstack:settings expunge.delay, expunge.interval (server/src/main/java/com/cloud/configuration/Config.java)
#     - cloudstack:api/src/main/java/com/cloud/vm/VirtualMachine.java
#   controls: [operations, capacity]
#   requires: [db.vm_instance, settings]
package csaudit.checks.stuck.expunge_backlog

import data.csaudit.lib

threshold := lib.param_or("expunge_backlog_seconds", to_number(lib.setting("expunge.delay")) + to_number(lib.setting("expunge.interval")))

deny contains f if {
	some id, vm in lib.vms_in_states({"Destroyed"})
	vm.update_time != null
	age := lib.age_seconds(vm.update_time)
	age > threshold
	f := {
		"resource": lib.vm_resource(id, vm),
		"message": sprintf("%s has been Destroyed for %d hours (expunge expected after %d s)", [vm.instance_name, round(age / 3600), threshold]),
		"evidence": {"update_time": vm.update_time, "age_seconds": age, "threshold_seconds": threshold},
	}
}
