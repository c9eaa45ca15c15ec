package remediate

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
)

// DefaultStuckMinutes is CSA-STUCK-001's default threshold (param
// vm_stuck_minutes).
const DefaultStuckMinutes = 30

// Options are the plan's inputs besides the snapshot and findings.
type Options struct {
	// StuckMinutes is the threshold the stuck check ran with; apply re-checks
	// the VM's age against it.
	StuckMinutes   int
	Now            time.Time
	SnapshotSHA256 string
}

// openHAWork are op_ha_work steps that are finished; any other is open.
var doneHASteps = map[string]bool{"Done": true, "Cancelled": true, "Error": true}

// maintenanceStates are host resource states in which csaudit fixes nothing:
// the drain owns the host's VMs.
var maintenanceStates = map[string]bool{"PrepareForMaintenance": true, "ErrorInPrepareForMaintenance": true,
	"Maintenance": true, "ErrorInMaintenance": true}

// adviceChecks are the stuck-state checks whose findings get advice in a
// plan when no fix applies.
var adviceChecks = map[string]string{
	CheckStuckVM:    "",
	"CSA-STUCK-003": "a volume row names the volume's path and pool; editing its state without checking both on the storage loses track of the data (apache/cloudstack#8748)",
	"CSA-STUCK-005": "a host draining for maintenance owns its VMs' state: csaudit fixes nothing on it",
	"CSA-JOB-001":   "the job is owned by a management server that is gone; a job can still be running after its server stopped, and removing or editing job rows while work may be in flight loses it (apache/cloudstack#1272)",
	"CSA-HA-002":    "HA work is in flight for the VM; a row edit would race the HA worker that reclaims it and may restart the VM elsewhere (apache/cloudstack#2890)",
}

// SnapshotIdentity is the db_identity of the database a snapshot was read
// from: host:port/schema as the server names itself.
func SnapshotIdentity(s *collectors.Snapshot) string {
	if s == nil || s.Meta.Database == nil {
		return ""
	}
	d := s.Meta.Database
	return fmt.Sprintf("%s:%d/%s", d.Hostname, d.Port, d.Schema)
}

// MakePlan builds the plan from a snapshot and the findings evaluated from
// it. Only open findings are considered.
func MakePlan(s *collectors.Snapshot, findings []report.Finding, o Options) (*Plan, error) {
	id := SnapshotIdentity(s)
	if id == "" {
		return nil, errors.New("the snapshot has no database identity (the database collector did not run): a fix plan needs the database")
	}
	if o.StuckMinutes <= 0 {
		o.StuckMinutes = DefaultStuckMinutes
	}
	work := workOn(s)
	p := &Plan{Schema: PlanSchema, GeneratedAt: o.Now.UTC(), DBIdentity: id, SnapshotSHA256: o.SnapshotSHA256,
		StuckMinutes: o.StuckMinutes, Fixes: []Fix{}, Advice: []Advice{}}
	for _, f := range findings {
		if f.Status == report.Waived {
			continue
		}
		why, ok := adviceChecks[f.CheckID]
		if !ok {
			continue
		}
		if f.CheckID == CheckStuckVM {
			fx, adv := consider(s, work, f, o.StuckMinutes)
			if fx != nil {
				p.Fixes = append(p.Fixes, *fx)
			} else {
				p.Advice = append(p.Advice, adv)
			}
			continue
		}
		p.Advice = append(p.Advice, Advice{CheckID: f.CheckID, FindingID: f.ID, Resource: f.Resource, Why: why, Steps: adviceSteps(f.CheckID, f.Resource, nil, "")})
	}
	sort.Slice(p.Fixes, func(i, j int) bool { return p.Fixes[i].ID < p.Fixes[j].ID })
	return p, nil
}

// Annotate marks every finding a fix exists for: its remediation gets the
// fix id and a step naming the commands. It returns the number marked.
func Annotate(s *collectors.Snapshot, findings []report.Finding) int {
	n := 0
	var work map[int64]string
	for i := range findings {
		f := &findings[i]
		if f.CheckID != CheckStuckVM {
			continue
		}
		if work == nil {
			work = workOn(s)
		}
		fx, _ := consider(s, work, *f, 0)
		if fx == nil {
			continue
		}
		f.Remediation.FixID = fx.ID
		// A copy: findings of one check may share their METADATA's steps.
		f.Remediation.Steps = append(slices.Clone(f.Remediation.Steps), fmt.Sprintf(
			"A guarded fix exists (%s, id %s): run `csaudit fix plan --config CONFIG --out plan.json`, review it, then "+
				"`csaudit fix apply --config CONFIG --plan plan.json --id %s` (a dry run; add --yes to apply).", fx.Type, fx.ID, fx.ID))
		n++
	}
	return n
}

// consider decides whether a stuck-VM finding gets a fix, and if not, why.
// stuck <= 0 leaves the threshold out of the preconditions (Annotate).
func consider(s *collectors.Snapshot, work map[int64]string, f report.Finding, stuck int) (*Fix, Advice) {
	adv := Advice{CheckID: f.CheckID, FindingID: f.ID, Resource: f.Resource}
	no := func(why string, row collectors.Row) (*Fix, Advice) {
		adv.Why = why
		hostUUID := ""
		if h, ok := s.DB["host"][row.Text("host_id")]; ok && row.Text("host_id") != "" {
			hostUUID = h.Text("uuid")
		}
		adv.Steps = adviceSteps(f.CheckID, f.Resource, &row, hostUUID)
		return nil, adv
	}
	vm, ok := s.DB["vm_instance"][f.Resource.ID]
	if !ok || f.Resource.Type != "vm" {
		return no("only user VMs get a fix; system VMs and routers are recovered through their own APIs", vm)
	}
	if vm.Get("removed") != nil {
		return no("the VM row is removed", vm)
	}
	if vm.Text("type") != "User" {
		return no("only user VMs get a fix; system VMs and routers are recovered through their own APIs", vm)
	}
	before, err := imageOf(vm)
	if err != nil {
		return no("the VM row in the snapshot lacks a guarded column: "+err.Error(), vm)
	}
	vmID, _ := strconv.ParseInt(f.Resource.ID, 10, 64)
	if why := work[vmID]; why != "" {
		return no(why, vm)
	}
	var k kind
	var pre []Precondition
	switch before.State {
	case "Stopping":
		if before.HostID == nil {
			return no("a Stopping VM without a host: csaudit cannot ask any hypervisor whether it still runs", vm)
		}
		hid := strconv.FormatInt(*before.HostID, 10)
		h, ok := s.DB["host"][hid]
		if !ok || h.Get("removed") != nil {
			return no("the VM's host "+hid+" is not in the snapshot", vm)
		}
		if rs := h.Text("resource_state"); maintenanceStates[rs] {
			return no(fmt.Sprintf("the VM's host %s is in %s: the maintenance drain owns its VMs", h.Text("name"), rs), vm)
		}
		if st := h.Text("status"); st != "Up" {
			bmc := s.OOBM[h.Text("uuid")]
			if bmc == nil || bmc.Error != "" || bmc.Auth != "ok" || bmc.Power != "off" {
				return no(fmt.Sprintf("the VM's host %s is %s, not Up: the VM may still run there and a row edit would let CloudStack start it a second time on the same disks (apache/cloudstack#6798, #6629, #2890); no fix is offered unless fencing is proven: its BMC reporting chassis power off over an IPMI session in the same run (%s)", h.Text("name"), st, bmcState(bmc)), vm)
			}
			k = kinds[TypeStoppingToStopped]
			pre = []Precondition{
				{What: "BMC of host " + h.Text("name") + " (IPMI session, read again at apply)", Expect: "chassis power off: the host is fenced, so the VM cannot run"},
				{What: "host " + h.Text("name") + " (id " + hid + ")", Expect: "not Up (when Up again, libvirt must confirm instead), not in maintenance, not removed"},
			}
			break
		}
		if hv := h.Text("hypervisor_type"); hv != "KVM" {
			return no("the VM's host runs "+hv+": only KVM hosts are asked through libvirt", vm)
		}
		facts := s.Hosts[h.Text("uuid")]
		if facts == nil || facts.Domains == nil || facts.Domains.Error != "" {
			return no(fmt.Sprintf("libvirt on host %s was not read in this run (libvirt collector): without it nothing proves the VM is gone", h.Text("name")), vm)
		}
		if d := findDomain(facts.Domains.Domains, vm.Text("instance_name"), vm.Text("uuid")); d != nil {
			return no(fmt.Sprintf("libvirt on host %s still has domain %s (%s): the VM is not gone", h.Text("name"), d.Name, d.State), vm)
		}
		k = kinds[TypeStoppingToStopped]
		pre = []Precondition{
			{What: "libvirt on host " + h.Text("name") + " (read through SSH)", Expect: "no domain named " + vm.Text("instance_name") + " or with uuid " + vm.Text("uuid")},
			{What: "host " + h.Text("name") + " (id " + hid + ")", Expect: "status Up, not in maintenance, KVM, not removed"},
		}
	case "Starting":
		if before.HostID != nil {
			return no("a Starting VM placed on a host: the start may be running there; csaudit only fixes a Starting VM the allocator never placed (host_id NULL)", vm)
		}
		if where := domainAnywhere(s, vm.Text("instance_name"), vm.Text("uuid")); where != "" {
			return no("libvirt on host "+where+" has a domain of this VM although host_id is NULL", vm)
		}
		k = kinds[TypeStartingToStopped]
		pre = []Precondition{{What: "vm_instance.host_id", Expect: "NULL (the allocator never placed the VM)"}}
	case "Migrating":
		return no("a Migrating VM may be running on either host; a row that calls it stopped lets CloudStack start it a second time (apache/cloudstack#6798)", vm)
	default:
		return no("no fix type for a VM in "+before.State, vm)
	}
	pre = append(pre,
		Precondition{What: "vm_instance row " + f.Resource.ID, Expect: fmt.Sprintf("exactly the before-image (state %s, host_id, last_host_id, power_state, power_host, power_state_update_time, update_count %d), not removed, uuid %s", before.State, before.UpdateCount, vm.Text("uuid"))},
		Precondition{What: "async_job / vm_work_job", Expect: "no IN_PROGRESS job on the VM, whatever management server owns it"},
		Precondition{What: "op_ha_work", Expect: "no open HA work item for the VM"},
	)
	if stuck > 0 {
		pre = append(pre, Precondition{What: "vm_instance.update_time", Expect: fmt.Sprintf("older than %d minutes by the database clock", stuck)})
	}
	fx := &Fix{Type: k.name, CheckID: f.CheckID, FindingID: f.ID, Resource: f.Resource,
		Preconditions: pre, BeforeImage: before, Risk: k.risk}
	fx.ID = FixID(k.name, f.Resource, before)
	stmt, _ := Statement(k.name)
	fx.Action = Action{Kind: "sql", Text: displaySQL(stmt, guardArgs(vmID, before))}
	return fx, adv
}

// bmcState describes what the run learned from a host's BMC.
func bmcState(b *collectors.BMCFacts) string {
	switch {
	case b == nil:
		return "its BMC was not read in this run"
	case b.Error != "":
		return "its BMC could not be read"
	case b.Auth != "ok":
		return "no IPMI session to its BMC in this run (ipmi.sessions)"
	case b.Power == "":
		return "its chassis power was not read"
	}
	return "its BMC reports chassis power " + b.Power
}

// workOn maps each VM with work in flight to why it gets no fix: an
// IN_PROGRESS async job on it (directly or through vm_work_job), whatever
// server owns it, or an open HA work item. Built once per plan, from the
// in-progress jobs, which are few.
func workOn(s *collectors.Snapshot) map[int64]string {
	out := map[int64]string{}
	work := s.DB["vm_work_job"]
	for jid, j := range s.DB["async_job"] {
		if n, ok := asInt(j.Get("job_status")); !ok || n != 0 {
			continue
		}
		why := "async job " + jid + " is still IN_PROGRESS on the VM (live or owned by a management server that is gone): a row edit would race it (apache/cloudstack#1272)"
		if w, ok := work[jid]; ok {
			if v, ok := asInt(w.Get("vm_instance_id")); ok {
				out[v] = why
			}
		}
		if v, ok := asInt(j.Get("instance_id")); ok && j.Text("instance_type") == "VirtualMachine" {
			out[v] = why
		}
	}
	for wid, w := range s.DB["op_ha_work"] {
		if v, ok := asInt(w.Get("instance_id")); ok && !doneHASteps[w.Text("step")] {
			out[v] = "HA work item " + wid + " (" + w.Text("type") + ", step " + w.Text("step") + ") is open for the VM: HA may restart it elsewhere while it still runs (apache/cloudstack#2890)"
		}
	}
	return out
}

func findDomain(ds []collectors.Domain, name, uuid string) *collectors.Domain {
	for i, d := range ds {
		if d.Name == name || (uuid != "" && strings.EqualFold(d.UUID, uuid)) {
			return &ds[i]
		}
	}
	return nil
}

func domainAnywhere(s *collectors.Snapshot, name, uuid string) string {
	for key, h := range s.Hosts {
		if h.Domains != nil && findDomain(h.Domains.Domains, name, uuid) != nil {
			if h.Name != "" {
				return h.Name
			}
			return key
		}
	}
	return ""
}

// imageOf reads the guarded columns from a snapshot row.
func imageOf(r collectors.Row) (Image, error) {
	var im Image
	im.State = r.Text("state")
	for _, c := range []string{"state", "host_id", "last_host_id", "power_state", "power_host", "power_state_update_time", "update_count", "update_time"} {
		if _, ok := r.Lookup(c); !ok {
			return im, fmt.Errorf("column %s", c)
		}
	}
	im.HostID = optInt(r.Get("host_id"))
	im.LastHostID = optInt(r.Get("last_host_id"))
	im.PowerHost = optInt(r.Get("power_host"))
	im.PowerState = optStr(r.Get("power_state"))
	im.PowerStateUpdateTime = optStr(r.Get("power_state_update_time"))
	im.UpdateTime = optStr(r.Get("update_time"))
	n, ok := asInt(r.Get("update_count"))
	if !ok {
		return im, errors.New("column update_count")
	}
	im.UpdateCount = n
	return im, nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}

func optInt(v any) *int64 {
	if n, ok := asInt(v); ok {
		return &n
	}
	return nil
}

func optStr(v any) *string {
	if v == nil {
		return nil
	}
	s := collectors.Text(v)
	return &s
}

// displaySQL renders a statement with its values as SQL literals, for
// people to read. It is never executed.
func displaySQL(stmt string, args []any) string {
	var b strings.Builder
	i := 0
	for _, r := range stmt {
		if r != '?' || i >= len(args) {
			b.WriteRune(r)
			continue
		}
		switch v := args[i].(type) {
		case nil:
			b.WriteString("NULL")
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case string:
			b.WriteString(sqlQuote(v))
		default:
			b.WriteString(sqlQuote(fmt.Sprint(v)))
		}
		i++
	}
	return b.String()
}

// sqlQuote makes a MySQL string literal that is safe whatever the sql_mode.
func sqlQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
	return "'" + r.Replace(s) + "'"
}

// shQuote single-quotes a value for a POSIX shell (and CloudMonkey's
// command line, which is one).
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
