# METADATA
# title: Users may force-stop VMs in a cloud that uses VM HA
# description: >-
#   allow.user.force.stop.vm is true (its default) while HA-enabled VMs exist. A forced
#   stop skips the guest shutdown and, on a host that does not answer, only marks the VM
#   Stopped in the database; with HA in play a user can thereby start a second copy of a VM
#   whose first copy still runs. Low per the rubric: a weaker-than-recommended default
#   where HA is used. Source: CloudStack setting allow.user.force.stop.vm (Account scope)
#   and seed 003 (VM HA).
# custom:
#   id: CSA-SET-009
#   severity: low
#   category: settings
#   remediation:
#     summary: "Set allow.user.force.stop.vm to false (dynamic) so only administrators force-stop VMs."
#     commands:
#       - kind: cmk
#         text: "cmk update configuration name=allow.user.force.stop.vm value=false"
#   references:
#     - cloudstack:setting allow.user.force.stop.vm
#     - seed:003_890368c12d4364b1.txt (HA-Enabled Virtual Machines)
#   controls: [ha, integrity]
#   requires: [settings, db.vm_instance]
package csaudit.checks.settings.force_stop_with_ha

import data.csaudit.lib

name := "allow.user.force.stop.vm"

deny contains f if {
	count(lib.ha_vms) > 0
	lib.setting_true(name)
	f := {
		"resource": lib.setting_resource(name),
		"message": sprintf("%s is true while %d VMs are HA-enabled", [name, count(lib.ha_vms)]),
		"evidence": {"value": lib.setting(name), "ha_vms": count(lib.ha_vms)},
	}
}
