# METADATA
# title: System VMs share a fixed password
# description: >-
#   system.vm.random.password is false, so every system VM uses the same default password.
#   Seed 003: set it to true (and restart the management server) so a random system VM
#   password is generated and stored encrypted. Low: a weaker-than-recommended default.
# custom:
#   id: CSA-SET-004
#   severity: low
#   category: hardening
#   remediation:
#     summary: "Set system.vm.random.password to true. It is not dynamic and is read when a management server starts: restart the management servers one at a time."
#     commands:
#       - kind: cmk
#         text: "cmk update configuration name=system.vm.random.password value=true"
#       - kind: shell
#         text: "systemctl restart cloudstack-management"
#   references:
#     - seed:003_890368c12d4364b1.txt (Managing System VMs)
#   controls: [hardening, credentials]
#   requires: [settings]
package csaudit.checks.settings.system_vm_random_password

import data.csaudit.lib

deny contains f if {
	not lib.setting_true("system.vm.random.password")
	f := {
		"resource": lib.setting_resource("system.vm.random.password"),
		"message": "system.vm.random.password is false: system VMs use one shared default password",
		"evidence": {"value": lib.setting("system.vm.random.password")},
	}
}
