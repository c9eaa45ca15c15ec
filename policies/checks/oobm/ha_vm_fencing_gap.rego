# METADATA
# title: Host in a cluster with HA-enabled VMs has no out-of-band management
# description: >-
#   The cluster runs HA-enabled VMs (vm_instance.ha_enabled) but this host has no enabled
#   oobm row. VM-HA restarts VMs elsewhere after its investigators decide the host is down;
#   without a way to power the host off, a VM may keep running on a half-dead host while a
#   second copy starts (seed 002: "If the host is not fenced via IPMI, there is a risk of
#   disk corruption"). Medium: a fencing gap, not yet a broken HA promise. Hosts under
#   Host-HA are reported by CSA-OOBM-008 instead.
# custom:
#   id: CSA-OOBM-009
#   severity: medium
#   category: oobm
#   remediation:
#     summary: Configure and enable out-of-band management for every host of clusters that run HA-enabled VMs.
#     commands:
#       - kind: cmk
#         text: cmk configure outofbandmanagement hostid={uuid} driver=ipmitool address=<bmc-address> port=623 username=<user> password=<password>
#       - kind: cmk
#         text: cmk enable outofbandmanagementforhost hostid={uuid}
#   references:
#     - seed:002_87316531120da61b.txt (Can I use HA without Out-of-band management hardware?)
#   controls: [availability, ha]
#   requires: [db.host, db.oobm, db.vm_instance]
package csaudit.checks.oobm.ha_vm_fencing_gap

import data.csaudit.checks.oobm.index
import data.csaudit.lib

deny contains f if {
	some hid, h in lib.routing_hosts
	vms := index.ha_vms(hid)
	vms > 0
	not index.enabled(hid)
	not index.host_ha(hid)
	f := {
		"resource": lib.host_resource(hid, h),
		"message": sprintf("host %s has no enabled out-of-band management while its cluster runs %d HA-enabled VM(s)", [h.name, vms]),
		"evidence": {"cluster_id": h.cluster_id, "ha_vms": vms, "oobm_row": hid in object.keys(index.by_host)},
	}
}
