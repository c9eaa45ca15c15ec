package readiness

import (
	"regexp"

	"github.com/csaudit/csaudit/report"
)

// rule is one readiness rule: a check in the report.
type rule struct {
	id, title, description string
	severity               report.Severity
	refs                   []string
	remedy                 report.Remediation
}

// Rule ids. The checks catalog (Rego) does not hold them: readiness decides
// by its own rules only.
const (
	ruleState     = "CSA-READY-001"
	ruleVMState   = "CSA-READY-002"
	ruleMigration = "CSA-READY-003"
	ruleJobs      = "CSA-READY-004"
	ruleLastHost  = "CSA-READY-005"
	ruleRouter    = "CSA-READY-006"
	ruleLocal     = "CSA-READY-007"
	rulePlacement = "CSA-READY-008"
	ruleHA        = "CSA-READY-009"
	ruleBMC       = "CSA-READY-010"
	ruleAgent     = "CSA-READY-011"
)

const (
	srcRM      = "https://github.com/apache/cloudstack/blob/main/server/src/main/java/com/cloud/resource/ResourceManagerImpl.java"
	srcFFA     = "https://github.com/apache/cloudstack/blob/main/server/src/main/java/com/cloud/agent/manager/allocator/impl/FirstFitAllocator.java"
	srcCap     = "https://github.com/apache/cloudstack/blob/main/server/src/main/java/com/cloud/capacity/CapacityManagerImpl.java"
	srcPlanner = "https://github.com/apache/cloudstack/blob/main/server/src/main/java/com/cloud/deploy/FirstFitPlanner.java"
	pr3425     = "https://github.com/apache/cloudstack/pull/3425"
	pr2493     = "https://github.com/apache/cloudstack/pull/2493"
	issue3707  = "https://github.com/apache/cloudstack/issues/3707"
	pr7285     = "https://github.com/apache/cloudstack/pull/7285"
)

var rules = []rule{
	{id: ruleState, title: "Host can be asked to enter maintenance", severity: report.High, refs: []string{srcRM, pr3425},
		description: "The host is Up, its resource state allows a maintenance attempt (not Maintenance, PrepareForMaintenance or ErrorInPrepareForMaintenance), and no other host of its cluster is in PrepareForMaintenance or ErrorInPrepareForMaintenance; otherwise prepareHostForMaintenance refuses or cannot reach the agent.",
		remedy: report.Remediation{Summary: "Finish or cancel the other maintenance first, and bring the host Up.",
			Steps: []string{"Diagnose: list the cluster's hosts with their state and resource state.",
				"Verify: a host in PrepareForMaintenance is still migrating VMs away; wait for it, or look at its failed migrations (CSA-STUCK checks).",
				"Act: once nothing is migrating, cancel the stuck maintenance (cancelHostMaintenance) and run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk list hosts clusterid={cluster} type=Routing filter=name,id,state,resourcestate"}}}},
	{id: ruleVMState, title: "No VM on the host is Starting, Stopping, in Error or Unknown", severity: report.High, refs: []string{srcRM, pr3425},
		description: "prepareHostForMaintenance refuses a host holding VMs in Starting or Stopping (wait for them), or in Error, Unknown or Shutdown (fix them first).",
		remedy: report.Remediation{Summary: "Let the VM finish its transition, or resolve its error, before maintenance.",
			Steps: []string{"Diagnose: look at the VM and its latest job.",
				"Verify: on the hypervisor, check whether the domain runs (virsh domstate) before deciding what state the VM should be in.",
				"Act: only then start or stop the VM through the API; run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk list virtualmachines id={uuid} listall=true filter=name,state,hostid"}}}},
	{id: ruleMigration, title: "No migration into or out of the host is in progress", severity: report.High, refs: []string{srcRM, pr3425, pr2493},
		description: "A VM Migrating with host_id on this host is an incoming migration, which prepareHostForMaintenance refuses; one with last_host_id here is still leaving. Wait for both to finish.",
		remedy: report.Remediation{Summary: "Wait for the migration to finish.",
			Steps: []string{"Diagnose: look at the VM and its migration job.",
				"Verify: the job is still IN_PROGRESS and the domain is still being migrated (virsh domjobinfo on the source).",
				"Act: once it has finished, run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk list virtualmachines id={uuid} listall=true filter=name,state,hostid"}}}},
	{id: ruleJobs, title: "No pending job on the host or its VMs", severity: report.High, refs: []string{srcRM, pr3425},
		description: "An IN_PROGRESS async job on the host or on one of its VMs (or a VM work job) would race with the maintenance migrations.",
		remedy: report.Remediation{Summary: "Wait for the job to finish.",
			Steps: []string{"Diagnose: query the job.", "Verify: it is still progressing (its last_updated moves).",
				"Act: once it has finished, run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk query asyncjobresult jobid={job}"}}}},
	{id: ruleLastHost, title: "Not the last Up and Enabled host of its cluster", severity: report.High, refs: []string{srcRM, issue3707},
		description: "With no other Up and Enabled host in the cluster, CloudStack does not refuse maintenance: it force-stops every VM on the host (and destroys system VMs) instead of migrating them.",
		remedy: report.Remediation{Summary: "Bring another host of the cluster Up and Enabled first.",
			Steps: []string{"Diagnose: list the cluster's hosts.", "Verify: the other hosts are Up and Enabled and have capacity.",
				"Act: enable or repair another host, then run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk list hosts clusterid={cluster} type=Routing filter=name,id,state,resourcestate"}}}},
	{id: ruleRouter, title: "No virtual router on the host is mid-migration", severity: report.High, refs: []string{srcRM, pr7285},
		description: "A virtual router in Migrating to or from the host must finish before maintenance migrates it again.",
		remedy: report.Remediation{Summary: "Wait for the router's migration to finish.",
			Steps: []string{"Diagnose: list the router.", "Verify: its migration job is still running.",
				"Act: once the router is Running, run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk list routers id={uuid} listall=true filter=name,state,hostid"}}}},
	{id: ruleLocal, title: "VMs on local storage are handled by host.maintenance.local.storage.strategy", severity: report.High, refs: []string{srcRM},
		description: "With the strategy Error (the default) prepareHostForMaintenance refuses a host whose VMs use its local storage; ForceStop stops them (downtime); Migration moves them with their volumes, which needs room on another host's local pool.",
		remedy: report.Remediation{Summary: "Stop or move the VM on local storage yourself, or choose a strategy knowingly.",
			Steps: []string{"Diagnose: list the VM's volumes and their pools.",
				"Verify: whether the VM may be stopped (owner, window) or another host's local pool has room for its volumes.",
				"Act: stop the VM in its window, or migrate it with its volumes (migrateVirtualMachineWithVolume), then run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk list volumes virtualmachineid={uuid} listall=true filter=name,size,storage,storagetype"}}}},
	{id: rulePlacement, title: "Every VM on the host has a destination", severity: report.High, refs: []string{srcFFA, srcCap, srcPlanner},
		description: "Each VM needs another Up and Enabled host of the cluster with free CPU and memory (used + reserved + needed within total x the effective overprovisioning factor), the offering's host tags, no ha.tag, its affinity and dedication rules, without pushing the cluster's allocated fraction past the disable thresholds. Placement is first-fit decreasing.",
		remedy: report.Remediation{Summary: "Make room in the cluster before maintenance.",
			Steps: []string{"Diagnose: list the cluster's capacity (listCapacity) and the VM's offering and tags.",
				"Verify: which hosts could take the VM (findHostsForMigration) and which rule excludes the others.",
				"Act: migrate or stop less important VMs, enable another host, or add the missing host tag; run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk find hostsformigration virtualmachineid={uuid}"},
				{Kind: "cmk", Text: "cmk list capacity clusterid={cluster} fetchlatest=true"}}}},
	{id: ruleHA, title: "The VM HA manager is enabled for the zone", severity: report.High, refs: []string{srcRM},
		description: "Maintenance migrates VMs through HA work items; with vm.ha.enabled false for the zone, CloudStack refuses maintenance of a host that has VMs.",
		remedy: report.Remediation{Summary: "Enable vm.ha.enabled for the zone before maintenance.",
			Steps:    []string{"Diagnose: read vm.ha.enabled for the zone.", "Verify: why it was disabled.", "Act: set it to true for the zone."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk list configurations name=vm.ha.enabled zoneid={zone}"}}}},
	{id: ruleBMC, title: "The host's BMC answers", severity: report.High, refs: []string{"docs/ipmi.md"},
		description: "A host that does not come back from maintenance is recovered through its BMC; the ipmi collector must have reached it.",
		remedy: report.Remediation{Summary: "Restore the BMC before taking the host down.",
			Steps: []string{"Diagnose: look at the host's out-of-band management settings.", "Verify: the BMC answers from the management network (ipmitool -I lanplus ... chassis status).",
				"Act: fix its network or address, then run readiness again."},
			Commands: []report.Command{{Kind: "cmk", Text: "cmk list hosts id={uuid} filter=name,outofbandmanagement"}}}},
	{id: ruleAgent, title: "The cloudstack-agent on the host is active", severity: report.High, refs: []string{srcRM},
		description: "prepareHostForMaintenance sends the agent a MaintainCommand; without an active agent the host cannot enter maintenance cleanly.",
		remedy: report.Remediation{Summary: "Start the agent before maintenance.",
			Steps: []string{"Diagnose: systemctl status cloudstack-agent on the host.", "Verify: the host shows Up in CloudStack.",
				"Act: start the agent (systemctl start cloudstack-agent), then run readiness again."},
			Commands: []report.Command{{Kind: "shell", Text: "systemctl status cloudstack-agent"}}}},
}

func ruleByID(id string) *rule {
	for i := range rules {
		if rules[i].id == id {
			return &rules[i]
		}
	}
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// arg is a value from the cloud as a cmk argument: only a well-formed uuid
// goes in (it needs no quoting); anything else leaves the placeholder.
func arg(v, placeholder string) string {
	if uuidRE.MatchString(v) {
		return v
	}
	return placeholder
}
