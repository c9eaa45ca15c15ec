# METADATA
# title: Virtual router below the required version or its update failed
# description: >-
#   A running virtual router reports a template version (domain_router.template_version,
#   token 3 of e.g. "Cloudstack Release 4.22.0 ...") below minreq.sysvmtemplate.version
#   for its zone (the upgrade sets it to the release, 4.22.0 for 4.22), or reports none,
#   while router.version.check is on; or its update_state is UPDATE_FAILED. CloudStack
#   then refuses commands to the router ("Router requires upgrade") unless its scripts
#   checksum happens to match, so network changes for its tenants fail. Medium: tenant
#   network operations fail until the router is upgraded. Source: NetworkHelperImpl
#   checkRouterVersion (cloudstack/README.md, states.md).
# custom:
#   id: CSA-VER-006
#   severity: medium
#   category: routers
#   remediation:
#     summary: "Once the release's system VM template is registered and ready, upgrade the router (upgradeRouterTemplate, or restart its network with cleanup) in a window: it is recreated and the network blips."
#     commands:
#       - kind: cmk
#         text: "cmk list routers id={uuid} listall=true filter=name,version,requiresupgrade,state"
#       - kind: cmk
#         text: "cmk list templates templatefilter=system filter=name,hypervisor,isready"
#       - kind: cmk
#         text: "cmk upgrade routertemplate id={uuid}"
#   references:
#     - cloudstack:server/src/main/java/com/cloud/network/router/NetworkHelperImpl.java (checkRouterVersion)
#     - seed:004_62a602eb5c0afa8b.txt (template version mismatch)
#   controls: [patching, availability]
#   requires: [db.domain_router, db.vm_instance, settings]
package csaudit.checks.version.router_outdated

import data.csaudit.lib

reported(r) := v if {
	r.template_version != null
	parts := split(r.template_version, " ")
	count(parts) > 2
	v := parts[2]
	regex.match(`^[0-9]+(\.[0-9]+)*`, v)
} else := "0"

problem(r, vm) := sprintf("reports version %s, below %s", [reported(r), minreq]) if {
	lib.setting_true("router.version.check")
	minreq := lib.effective_setting("minreq.sysvmtemplate.version", lib.zone_scope(vm))
	lib.version_lt(reported(r), minreq)
}

problem(r, _) := "update_state is UPDATE_FAILED" if r.update_state == "UPDATE_FAILED"

deny contains f if {
	some id, r in object.get(input.db, "domain_router", {})
	vm := lib.live_vm(id)
	vm.state == "Running"
	msg := problem(r, vm)
	f := {
		"resource": lib.vm_resource(id, vm),
		"discriminator": msg,
		"message": sprintf("router %s %s", [vm.instance_name, msg]),
		"evidence": {"template_version": r.template_version, "update_state": object.get(r, "update_state", null), "minreq": lib.effective_setting("minreq.sysvmtemplate.version", lib.zone_scope(vm))},
	}
}
