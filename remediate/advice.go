package remediate

import (
	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
)

// adviceSteps is the safe sequence for a finding csaudit does not fix:
// diagnose, then verify, then act, never a forcing step before the check that
// makes it safe. Values from the cloud are shell-quoted (cmk and virsh run in
// a shell).
func adviceSteps(checkID string, r report.Resource, vm *collectors.Row, hostUUID string) []string {
	u, n := shQuote(r.UUID), shQuote(r.Name)
	hu := "HOST-UUID"
	if hostUUID != "" {
		hu = shQuote(hostUUID)
	}
	switch checkID {
	case "CSA-STUCK-005":
		return []string{
			"Diagnose: cmk list virtualmachines hostid=" + u + " filter=name,state,haenable",
			"Verify: each VM still on the host is Running and migratable (no host-local volumes); one in transition blocks the drain",
			"Act: migrate or stop those VMs through the API, then cmk cancel hostmaintenance id=" + u + " and cmk prepare hostformaintenance id=" + u,
		}
	case "CSA-STUCK-003":
		return []string{
			"Diagnose: cmk list volumes id=" + u + " filter=name,state,storage,path,virtualmachineid and the management-server.log lines for the volume",
			"Verify: on the storage, whether the copy or migration still runs (SSVM or hypervisor) and which pool and path hold the complete data",
			"Act: retry the operation through the API once the storage side has settled; a row edit would have to set state, pool and path together to what the storage shows",
		}
	case "CSA-JOB-001":
		return []string{
			"Diagnose: cmk list managementservers filter=name,state,lastserverstart,lastserverstop,pendingjobscount and cmk query asyncjobresult jobid=" + u,
			"Verify: the owning management server is really gone (its service stopped, no heartbeat)",
			"Act: start it again, or restart a surviving management server so it takes over and cancels the job; never delete async_job rows",
		}
	case "CSA-HA-002":
		return []string{
			"Diagnose: cmk list virtualmachines id=" + u + " filter=name,state,hostid,haenable and cmk list managementservers filter=name,state,lastserverstart,lastserverstop,pendingjobscount",
			"Verify: a live management server exists to reclaim the work item",
			"Act: bring the owning management server back or restart a live one; then check the VM's state again",
		}
	}
	state := ""
	if vm != nil {
		state = vm.Text("state")
	}
	diagnose := "Diagnose: cmk list virtualmachines id=" + u + " filter=name,state,hostid,hostname"
	switch state {
	case "Migrating":
		return []string{
			diagnose,
			"Verify: on the source and the destination host, virsh -r list --all | grep -F -- " + n + ": the VM must run on exactly one host, or on none",
			"Act: if it runs on one host, let the agent's next power report resync it (vm.sync.power.state.transitioning); if it runs on none, cmk stop virtualmachine id=" + u + " forced=true",
		}
	case "Stopping", "Starting":
		return []string{
			diagnose,
			"Verify: on its host, virsh -r list --all | grep -F -- " + n + " shows no domain; when the host is unreachable, cmk issue outofbandmanagementpoweraction hostid=" + hu + " action=STATUS must report Off",
			"Act: only then cmk stop virtualmachine id=" + u + " forced=true; if CloudStack refuses, run csaudit fix plan again once the reason given above is gone",
		}
	}
	return []string{
		diagnose,
		"Verify: find the VM's domain with virsh -r list --all | grep -F -- " + n + " on its host and read management-server.log for the VM",
		"Act: retry the operation through the API",
	}
}
