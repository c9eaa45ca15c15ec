# METADATA
# title: Mixed QEMU, libvirt or CPU models within a KVM cluster
# description: >-
#   Hosts of one KVM cluster run different QEMU or libvirt package versions or report
#   different CPU models. Live migration only works from an older to a newer (or equal)
#   QEMU/libvirt and onto a CPU that offers every feature the guest saw, so HA restarts
#   and maintenance drains silently lose targets in one direction. Low per the rubric: a
#   hygiene gap that narrows migration, not an outage. Source: seeds 001/003 (live
#   migration between hosts of a cluster), CloudStack's KVM requirement that a cluster's
#   hosts be homogeneous (guest.cpu.mode host-model/custom).
# custom:
#   id: CSA-VER-004
#   severity: low
#   category: versions
#   remediation:
#     summary: Bring the cluster's hosts to the same QEMU/libvirt packages, or set a common guest.cpu.mode=custom model in agent.properties so migrations work both ways.
#     commands:
#       - kind: shell
#         text: virsh -r version; lscpu | grep 'Model name'
#   references:
#     - seed:001_846adba9a861db0c.txt (live migration)
#     - seed:003_890368c12d4364b1.txt (HA restarts elsewhere in the cluster)
#     - cloudstack:docs KVM installation (homogeneous clusters, guest.cpu.mode)
#   controls: [availability, operations]
#   requires: [db.host, db.cluster, hosts.packages, hosts.cpu]
package csaudit.checks.version.cluster_mixed

import data.csaudit.lib

qemu_pkgs := ["qemu-kvm", "qemu-system-x86", "qemu-kvm-ev", "qemu-system-aarch64"]

libvirt_pkgs := ["libvirt-daemon", "libvirt-daemon-system", "libvirt", "libvirt-daemon-kvm"]

first_version(h, pkgs) := vs[0] if {
	versions := input.hosts[h.uuid].packages.versions
	vs := [versions[p] | some p in pkgs; versions[p]]
	count(vs) > 0
}

component(h, "qemu") := first_version(h, qemu_pkgs)

component(h, "libvirt") := first_version(h, libvirt_pkgs)

component(h, "cpu_model") := input.hosts[h.uuid].cpu.model

# [cluster id, component] → values seen on the cluster's KVM hosts. An object
# comprehension: a partial set with a composite key was ten times slower.
seen := {[cid, kind]: values |
	some cid, ids in lib.hosts_in_cluster
	some kind in ["qemu", "libvirt", "cpu_model"]
	values := {v |
		some hid in ids
		h := lib.routing_hosts[hid]
		h.hypervisor_type == "KVM"
		v := component(h, kind)
	}
}

deny contains f if {
	some key, values in seen
	count(values) > 1
	[cid, kind] := key
	c := lib.clusters[cid]
	f := {
		"resource": lib.cluster_resource(cid, c),
		"discriminator": kind,
		"message": sprintf("cluster %s mixes %d %s versions: %v", [c.name, count(values), kind, sort(values)]),
		"evidence": {"component": kind, "values": sort(values)},
	}
}
