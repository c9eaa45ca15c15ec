# METADATA
# title: Secondary storage or console proxy VM runs an older system VM template
# description: >-
#   A live secondary storage VM or console proxy was created from a system VM template
#   (vm_instance.vm_template_id) whose name carries a release below the management
#   servers' version (systemvm-<hypervisor>-<x.y.z>[-arch]); when the template name carries
#   no release, the version its agent reports (its host row) is used. Unlike routers,
#   CloudStack does not upgrade these VMs in place: they keep their template until they are
#   destroyed and CloudStack recreates them from the current one, so after an upgrade they
#   run old agent code against new management servers. Medium (a version drift with real
#   failures: template downloads, volume copies and console sessions go through them), as
#   CSA-VER-006 is for routers. Source: SystemVmTemplateRegistration names, upgrade notes
#   (destroy the system VMs after an upgrade).
# custom:
#   id: CSA-VER-007
#   severity: medium
#   category: versions
#   remediation:
#     summary: >-
#       Check that the current system VM template is registered and downloaded in the zone
#       (CSA-VER-005 passes) and that no template or volume copy runs through this system
#       VM; then destroy it so CloudStack recreates it from the current template.
#     steps:
#       - Diagnose - list the system VM with its template and agent version.
#       - Verify - the current system VM template is ready in the VM's zone, and no copy job uses this system VM.
#       - Act - destroy the system VM; CloudStack creates a new one from the current template.
#     commands:
#       - kind: cmk
#         text: cmk list systemvms id={uuid} filter=name,systemvmtype,state,templateid,version,zonename
#       - kind: cmk
#         text: cmk list templates templatefilter=system filter=name,hypervisor,isready,zonename
#       - kind: cmk
#         text: cmk destroy systemvm id={uuid}
#   references:
#     - cloudstack:engine/schema/src/main/java/com/cloud/upgrade/SystemVmTemplateRegistration.java
#     - seed:004_62a602eb5c0afa8b.txt (template version mismatch)
#   controls: [patching, availability]
#   requires: [db.vm_instance, db.vm_template, db.host, db.mshost]
package csaudit.checks.version.sysvm_outdated

import data.csaudit.lib

# The release in a system VM template name, if it carries one.
template_version(t) := v if {
	m := regex.find_all_string_submatch_n(`^systemvm-[A-Za-z0-9]+-([0-9]+\.[0-9]+\.[0-9]+)`, t.name, 1)
	count(m) == 1
	v := m[0][1]
}

# Agent rows of system VMs carry the VM's instance name.
agent_by_name := {h.name: h | some h in lib.hosts; h.type in {"SecondaryStorageVM", "ConsoleProxy"}}

running_version(vm) := ["template", v, t.name] if {
	t := input.db.vm_template[lib.key(vm.vm_template_id)]
	v := template_version(t)
} else := ["agent", agent_by_name[vm.instance_name].version, agent_by_name[vm.instance_name].version] if {
	agent_by_name[vm.instance_name].version != null
}

deny contains f if {
	some t in ["SecondaryStorageVm", "ConsoleProxy"]
	some id, vm in lib.vms_of_type(t)
	not vm.state in {"Destroyed", "Expunging", "Error"}
	[source, v, what] := running_version(vm)
	lib.version_lt(v, lib.ms_version)
	f := {
		"resource": lib.vm_resource(id, vm),
		"message": sprintf("%s %s runs %s %s (%s), behind the management servers' %s", [t, vm.instance_name, source, what, lib.version_string(v), lib.ms_version]),
		"evidence": {"type": t, "source": source, "version": lib.version_string(v), "ms_version": lib.ms_version, "template_id": vm.vm_template_id},
	}
}
