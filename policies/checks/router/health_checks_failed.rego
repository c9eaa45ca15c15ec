# METADATA
# title: Virtual router health checks failing
# description: >-
#   A running router has health check results (router_health_check) of FAILURE. The
#   router's own checks (services, disk, memory, iptables/dnsmasq/haproxy configuration)
#   report a broken service to its tenants. Medium: a tenant-facing network service is
#   degraded; CloudStack only recreates the router for checks listed in
#   router.health.checks.failures.to.recreate.vr. Source: router health checks
#   (router.health.checks.* settings, router_health_check table).
# custom:
#   id: CSA-VR-002
#   severity: medium
#   category: routers
#   remediation:
#     summary: Read the failing checks' details, fix the service inside the router or restart its network with cleanup.
#     commands:
#       - kind: cmk
#         text: cmk get routerhealthcheckresults routerid={uuid} performfreshchecks=true
#   references:
#     - cloudstack:setting router.health.checks.enabled and router.health.checks.failures.to.recreate.vr
#     - cloudstack:schema router_health_check
#   controls: [availability, network]
#   requires: [db.router_health_check, db.vm_instance]
package csaudit.checks.router.health_checks_failed

import data.csaudit.lib

failed[lib.key(c.router_id)] contains sprintf("%s/%s", [c.check_type, c.check_name]) if {
	some c in object.get(input.db, "router_health_check", {})
	c.check_result == "FAILURE"
}

deny contains f if {
	some id, checks in failed
	vm := lib.live_vm(id)
	vm.state == "Running"
	f := {
		"resource": lib.vm_resource(id, vm),
		"message": sprintf("router %s fails %d health check(s): %s", [vm.instance_name, count(checks), concat(", ", sort(checks))]),
		"evidence": {"failed_checks": sort(checks)},
	}
}
