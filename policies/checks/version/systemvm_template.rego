# METADATA
# title: System VM template missing or not downloaded
# description: >-
#   For a hypervisor (and CPU architecture) in use in a zone there is no active SYSTEM
#   template named exactly systemvm-<hypervisor>-<x.y.z>-<arch> for the management
#   servers' release (the name SystemVmTemplateRegistration registers, e.g.
#   systemvm-kvm-4.22.0-x86_64), or the template is not DOWNLOADED to an image store of
#   that zone. On x86_64 the name from before multi-arch support (4.20),
#   systemvm-<hypervisor>-<x.y.z> without the architecture, is accepted too: clouds upgraded
#   from then, and operators following the older upgrade notes, registered the template
#   under that name before upgrading. CloudStack then cannot create or recreate SSVMs, console proxies or virtual
#   routers there, which is also seed 004's first cause of system VMs stuck in Starting.
#   High per the rubric: the next system VM restart is an outage.
# custom:
#   id: CSA-VER-005
#   severity: high
#   category: versions
#   remediation:
#     summary: Register the release's system VM template for the hypervisor (cloud-install-sys-tmplt or registerTemplate with type SYSTEM) and wait until it is downloaded to every zone's image store.
#     commands:
#       - kind: cmk
#         text: cmk list templates templatefilter=system filter=name,hypervisor,isready,zonename
#       - kind: shell
#         text: /usr/share/cloudstack-common/scripts/storage/secondary/cloud-install-sys-tmplt -m /mnt/secondary -u <url> -h <hypervisor> -F
#   references:
#     - seed:004_62a602eb5c0afa8b.txt (seeding the System VM template; version mismatch)
#     - cloudstack:engine/schema/src/main/java/com/cloud/upgrade/SystemVmTemplateRegistration.java
#   controls: [availability, patching]
#   requires: [db.cluster, db.vm_template, db.template_store_ref, db.image_store, db.mshost]
package csaudit.checks.version.systemvm_template

import data.csaudit.lib

hv_names := {"KVM": "kvm", "XenServer": "xenserver", "VMware": "vmware", "Hyperv": "hyperv", "LXC": "lxc", "Ovm3": "ovm3"}

arch(c) := c.arch if c.arch != null

else := "x86_64"

expected_name(hv, a) := sprintf("systemvm-%s-%s-%s", [hv_names[hv], lib.ms_version, a])

# The pre-4.20 name had no architecture; every template then was x86_64.
legacy_name(hv, "x86_64") := sprintf("systemvm-%s-%s", [hv_names[hv], lib.ms_version])

# zone id -> template names its clusters need.
needed[lib.key(c.data_center_id)] contains expected_name(c.hypervisor_type, arch(c)) if {
	some c in lib.clusters
	hv_names[c.hypervisor_type]
}

# Registered template ids that satisfy a needed name: its own, or on x86_64 the
# legacy one.
satisfying(name) := object.get(templates_by_name, name, set()) | object.get(templates_by_name, object.get(legacy, name, ""), set())

legacy[expected_name(c.hypervisor_type, arch(c))] := legacy_name(c.hypervisor_type, arch(c)) if {
	some c in lib.clusters
	hv_names[c.hypervisor_type]
	arch(c) == "x86_64"
}

templates_by_name[t.name] contains id if {
	some id, t in object.get(input.db, "vm_template", {})
	t.removed == null
	t.type == "SYSTEM"
	object.get(t, "state", "Active") != "Inactive"
}

image_stores := {id: s |
	some id, s in object.get(input.db, "image_store", {})
	s.removed == null
	object.get(s, "role", "Image") == "Image"
}

zone_has_store contains lib.key(s.data_center_id) if some s in image_stores

# [template id, zone id] pairs where the template sits downloaded on a store of the zone.
downloaded contains [lib.key(r.template_id), lib.key(image_stores[lib.key(r.store_id)].data_center_id)] if {
	some r in object.get(input.db, "template_store_ref", {})
	r.download_state == "DOWNLOADED"
	object.get(r, "destroyed", false) != true
	object.get(r, "destroyed", 0) != 1
}

deny contains f if {
	some zid, names in needed
	some name in names
	count(satisfying(name)) == 0
	f := {
		"resource": {"type": "template", "name": name},
		"discriminator": zid,
		"message": sprintf("no SYSTEM template named %s is registered (needed in zone %v)", [name, zid]),
		"evidence": {"expected_name": name, "zone_id": zid, "ms_version": lib.ms_version},
	}
}

deny contains f if {
	some zid, names in needed
	zone_has_store[zid]
	some name in names
	ids := satisfying(name)
	count(ids) > 0
	every tid in ids {
		not downloaded[[tid, zid]]
	}
	tid := sort(ids)[0]
	t := input.db.vm_template[tid]
	f := {
		"resource": {"type": "template", "id": tid, "uuid": t.uuid, "name": t.name},
		"discriminator": zid,
		"message": sprintf("system VM template %s is not downloaded to any image store of zone %v", [t.name, zid]),
		"evidence": {"template_ids": sort(ids), "zone_id": zid},
	}
}
