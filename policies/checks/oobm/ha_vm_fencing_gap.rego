# METADATA
# title: Host with HA-enabled VMs has no fencing peer, or no BMC for Host-HA
# description: >-
#   VM-HA does not fence through the BMC. On KVM, KVMFencer sends a FenceCommand to the
#   other Up KVM/LXC hosts of the failed host's cluster, and they decide from the storage
#   heartbeat (KVMHAMonitor) whether it is dead; if no peer answers, fencing fails and
#   HighAvailabilityManager does not restart the VMs. A host whose cluster runs HA-enabled
#   VMs but that has no other Up KVM/LXC host to ask is high: HA is silently broken for it
#   (CloudStack source: KVMFencer.fenceOff). The BMC matters for Host-HA (KVMHAProvider
#   fences a host by powering it off through out-of-band management, CSA-OOBM-008): a host
#   with HA-enabled VMs and no enabled oobm row cannot be put under Host-HA and its power
#   cannot be confirmed out of band before an operator overrides HA; that is low (a
#   weaker-than-recommended setup, not a broken promise). Seed 002 ties IPMI fencing to
#   disk safety; in CloudStack that is Host-HA's path. Hosts under Host-HA are left to
#   CSA-OOBM-008; VMs in zones with VM-HA off are left to CSA-HA-007.
# custom:
#   id: CSA-OOBM-009
#   severity: high
#   category: oobm
#   remediation:
#     summary: >-
#       For a host without a fencing peer, add a second KVM host to the cluster (or move the
#       HA-enabled VMs to a cluster with several hosts) and check that the peers see the
#       storage heartbeat. For a host without out-of-band management, configure it, confirm
#       the BMC answers a power STATUS, and only then enable it and, if wanted, Host-HA.
#     steps:
#       - Diagnose - list the cluster's hosts with their state, out-of-band management and Host-HA state.
#       - Verify - after configuring the BMC, ask CloudStack for its power STATUS; it must answer On before anything is enabled.
#       - Act - enable out-of-band management for the host; then configure and enable Host-HA with the KVM provider if the host should be fenced through its BMC.
#     commands:
#       - kind: cmk
#         text: cmk list hosts clusterid=<cluster-uuid> type=Routing filter=name,state,resourcestate,outofbandmanagement,hostha
#       - kind: cmk
#         text: cmk configure outofbandmanagement hostid={uuid} driver=ipmitool address=<bmc-address> port=623 username=<user> password=<password>
#       - kind: cmk
#         text: cmk issue outofbandmanagementpoweraction hostid={uuid} action=STATUS
#       - kind: cmk
#         text: cmk enable outofbandmanagementforhost hostid={uuid}
#       - kind: cmk
#         text: cmk configure haforhost hostid={uuid} provider=kvmhaprovider
#       - kind: cmk
#         text: cmk enable haforhost hostid={uuid}
#   references:
#     - cloudstack:server/src/main/java/com/cloud/ha/KVMFencer.java
#     - cloudstack:plugins/hypervisors/kvm/src/main/java/org/apache/cloudstack/kvm/ha/KVMHAProvider.java
#     - seed:002_87316531120da61b.txt (Can I use HA without Out-of-band management hardware?)
#   controls: [availability, ha]
#   requires: [db.host, db.oobm, db.vm_instance, db.ha_config, db.cluster_details, settings]
package csaudit.checks.oobm.ha_vm_fencing_gap

import data.csaudit.checks.oobm.index
import data.csaudit.lib

fencer_hypervisors := {"KVM", "LXC"}

# Up KVM/LXC hosts per cluster id: the peers KVMFencer can ask.
up_fencers := {cid: ids |
	some cid, hids in lib.hosts_in_cluster
	ids := {hid | some hid in hids; h := lib.routing_hosts[hid]; h.status == "Up"; h.hypervisor_type in fencer_hypervisors}
}

gap_hosts := {hid: vms |
	some hid, _ in lib.routing_hosts
	vms := index.ha_vms(hid)
	vms > 0
	not index.host_ha(hid)
}

deny contains f if {
	some hid, vms in gap_hosts
	h := lib.routing_hosts[hid]
	h.hypervisor_type in fencer_hypervisors
	peers := object.get(up_fencers, lib.key(h.cluster_id), set()) - {hid}
	count(peers) == 0
	f := {
		"resource": lib.host_resource(hid, h),
		"severity": "high",
		"discriminator": "no-fencing-peer",
		"message": sprintf("host %s has no other Up KVM host in its cluster to fence it, while the cluster runs %d HA-enabled VM(s): if it fails, HA cannot restart them", [h.name, vms]),
		"evidence": {"cluster_id": h.cluster_id, "ha_vms": vms, "up_peers": 0},
	}
}

deny contains f if {
	some hid, vms in gap_hosts
	not index.enabled(hid)
	h := lib.routing_hosts[hid]
	f := {
		"resource": lib.host_resource(hid, h),
		"severity": "low",
		"discriminator": "no-oobm",
		"message": sprintf("host %s has no enabled out-of-band management while its cluster runs %d HA-enabled VM(s): Host-HA cannot fence it through its BMC", [h.name, vms]),
		"evidence": {"cluster_id": h.cluster_id, "ha_vms": vms, "oobm_row": hid in object.keys(index.by_host), "hypervisor": h.hypervisor_type},
	}
}
