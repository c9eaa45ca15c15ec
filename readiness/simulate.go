package readiness

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
)

// Options tune the verdict.
type Options struct {
	// Strict makes a rule that could not be checked a reason for no-go.
	Strict bool
}

// Result is the verdict with its reasons, as report parts.
type Result struct {
	Readiness *report.Readiness
	Checks    []report.Check
	Findings  []report.Finding
}

// NoGo reports whether the verdict is no-go.
func (r *Result) NoGo() bool { return r.Readiness.Verdict != report.Go }

// Judge decides whether target's host (or every host of target's cluster, one
// after another) can be put into maintenance, from s's rows of that cluster.
func Judge(s *collectors.Snapshot, t Target, o Options) (*Result, error) {
	cl, err := load(s, t.Cluster)
	if err != nil {
		return nil, err
	}
	sm := newSim(cl, o)
	if err := sm.settings(); err != nil {
		return nil, err
	}
	rd := &report.Readiness{Mode: "cluster", Strict: o.Strict, Cluster: cl.clusterRes(), Hosts: []report.ReadinessHost{}}
	drain := cl.order
	if t.HostID != "" {
		rd.Mode = "host"
		drain = []*host{cl.hosts[t.HostID]}
	}
	if len(drain) == 0 {
		return nil, fmt.Errorf("cluster %s has no hypervisor host in the snapshot", cl.cluster.name)
	}
	rd.Verdict = report.Go
	for i, h := range drain {
		if t.HostID == "" && h.state == "Maintenance" {
			// Already down for maintenance: nothing to drain, and no destination.
			rd.Hosts = append(rd.Hosts, report.ReadinessHost{Host: h.res(), Verdict: report.InMaintenance, Moves: []report.Move{}})
			continue
		}
		step := sm.drain(h)
		rd.Hosts = append(rd.Hosts, step)
		if step.Verdict == report.NoGo {
			rd.Verdict = report.NoGo
			if t.HostID == "" {
				res := h.res()
				rd.StoppedAt = &res
				for _, rest := range drain[i+1:] {
					rd.Hosts = append(rd.Hosts, report.ReadinessHost{Host: rest.res(), Verdict: report.NotSimulated, Moves: []report.Move{}})
				}
			}
			break
		}
	}
	rd.NotChecked = sm.notCheckedList()
	return &Result{Readiness: rd, Checks: sm.checks(), Findings: sm.findings}, nil
}

// sim is the state of a drain: capacity as VMs move, and what was found.
type sim struct {
	cl        *cloud
	o         Options
	used      map[string]*[2]int64 // host id -> used capacity (memory, cpu) as VMs move
	poolAlloc map[string]int64
	where     map[string]string // affinity member -> host
	down      string            // the host being drained now
	// effective settings for the cluster
	cpuFactor, memFactor       float64
	cpuThreshold, memThreshold float64
	thresholdOn                bool
	haTag, strategy            string
	findings                   []report.Finding
	notChecked                 map[string][]string // rule -> reasons
	hostNotChecked             map[string]bool     // rule -> not checked for the host being drained
	collectorOff               map[string]bool     // rule -> its collector was not selected
	movedOnto                  map[string]string   // VM id -> host an earlier move put it on
}

func newSim(cl *cloud, o Options) *sim {
	sm := &sim{cl: cl, o: o, used: map[string]*[2]int64{}, poolAlloc: map[string]int64{}, where: map[string]string{},
		notChecked: map[string][]string{}, collectorOff: map[string]bool{}}
	for id, h := range cl.hosts {
		sm.used[id] = &[2]int64{h.cap[capMemory].used, h.cap[capCPU].used}
	}
	for id, p := range cl.pools {
		sm.poolAlloc[id] = p.allocated
	}
	for k, v := range cl.where {
		sm.where[k] = v
	}
	return sm
}

func (sm *sim) settings() error {
	cl := sm.cl
	var err error
	if sm.cpuFactor, err = cl.factor("cpu.overprovisioning.factor"); err != nil {
		return err
	}
	if sm.memFactor, err = cl.factor("mem.overprovisioning.factor"); err != nil {
		return err
	}
	if sm.cpuThreshold, err = cl.factor("cluster.cpu.allocated.capacity.disablethreshold"); err != nil {
		return err
	}
	if sm.memThreshold, err = cl.factor("cluster.memory.allocated.capacity.disablethreshold"); err != nil {
		return err
	}
	on, ok := cl.setting("cluster.threshold.enabled", "", "")
	sm.thresholdOn = !ok || !strings.EqualFold(strings.TrimSpace(on), "false")
	sm.haTag, _ = cl.setting("ha.tag", "", "")
	sm.haTag = strings.TrimSpace(sm.haTag)
	sm.strategy, _ = cl.setting("host.maintenance.local.storage.strategy", "", "")
	sm.strategy = strings.TrimSpace(sm.strategy)
	return nil
}

func (sm *sim) skip(ruleID, why string) {
	if !slices.Contains(sm.notChecked[ruleID], why) {
		sm.notChecked[ruleID] = append(sm.notChecked[ruleID], why)
	}
	sm.hostNotChecked[ruleID] = true
}

// drain simulates putting h into maintenance: the pre-checks, then a
// destination for each VM. The VMs stay where they were put, and h comes
// back Enabled and empty afterwards, as in a rolling upgrade.
func (sm *sim) drain(h *host) report.ReadinessHost {
	cl := sm.cl
	sm.down = h.id
	sm.hostNotChecked = map[string]bool{}
	before := len(sm.findings)
	step := report.ReadinessHost{Host: h.res(), Moves: []report.Move{}}
	vms := sm.vmsOn(h)

	// CSA-READY-001: states that make prepareHostForMaintenance refuse.
	switch {
	case h.state == "Maintenance" || h.state == "PrepareForMaintenance" || h.state == "ErrorInPrepareForMaintenance":
		sm.hostFinding(ruleState, h, fmt.Sprintf("host %s is already in %s: CloudStack cannot recall it for maintenance until that is resolved", h.name, h.state),
			map[string]any{"resource_state": h.state, "status": h.status})
	case h.status != "Up":
		sm.hostFinding(ruleState, h, fmt.Sprintf("host %s is %s, not Up: its agent cannot be sent the maintenance command", h.name, h.status),
			map[string]any{"resource_state": h.state, "status": h.status})
	}
	for _, o := range cl.order {
		if o != h && (o.state == "PrepareForMaintenance" || o.state == "ErrorInPrepareForMaintenance") {
			sm.hostFinding(ruleState, o, fmt.Sprintf("host %s of the same cluster is in %s: CloudStack refuses a second maintenance in the cluster until it is resolved", o.name, o.state),
				map[string]any{"resource_state": o.state, "drained_host": h.name})
		}
	}

	// CSA-READY-002/003/006: VM states.
	for _, v := range cl.onHost[h.id] {
		switch {
		case v.state == "Migrating" && v.typ == "DomainRouter":
			sm.vmFinding(ruleRouter, v, h, fmt.Sprintf("virtual router %s is migrating to host %s", v.name, h.name), map[string]any{"state": v.state, "direction": "incoming"})
		case v.state == "Migrating":
			sm.vmFinding(ruleMigration, v, h, fmt.Sprintf("VM %s is migrating to host %s: CloudStack refuses maintenance with incoming migrations", v.name, h.name),
				map[string]any{"state": v.state, "direction": "incoming", "last_host_id": v.lastHostID})
		case v.state == "Starting" || v.state == "Stopping":
			sm.vmFinding(ruleVMState, v, h, fmt.Sprintf("VM %s on host %s is %s: CloudStack refuses maintenance until it finishes", v.name, h.name, v.state), map[string]any{"state": v.state})
		case v.state == "Error" || v.state == "Unknown" || v.state == "Shutdown":
			sm.vmFinding(ruleVMState, v, h, fmt.Sprintf("VM %s on host %s is in %s: CloudStack refuses maintenance until it is fixed", v.name, h.name, v.state), map[string]any{"state": v.state})
		}
	}
	for _, v := range cl.leaving[h.id] {
		r, what := ruleMigration, "VM"
		if v.typ == "DomainRouter" {
			r, what = ruleRouter, "virtual router"
		}
		sm.vmFinding(r, v, h, fmt.Sprintf("%s %s is still migrating away from host %s", what, v.name, h.name),
			map[string]any{"state": v.state, "direction": "outgoing", "host_id": v.hostID})
	}

	// CSA-READY-004: pending jobs.
	if why := cl.missing["async_job"]; why != "" {
		sm.skip(ruleJobs, why)
	} else {
		if cl.missing["vm_work_job"] != "" {
			sm.skip(ruleJobs, cl.missing["vm_work_job"])
		}
		for _, j := range cl.jobs[h.id] {
			f := sm.hostFinding(ruleJobs, h, fmt.Sprintf("job %s (%s) on host %s is still IN_PROGRESS", j.uuid, shortCmd(j.cmd), h.name), jobEvidence(j))
			f.Discriminator = j.id
			sm.fillJob(f, j)
		}
		for _, v := range cl.onHost[h.id] {
			for _, j := range cl.jobs[v.id] {
				f := sm.vmFinding(ruleJobs, v, h, fmt.Sprintf("job %s (%s) on VM %s is still IN_PROGRESS", j.uuid, shortCmd(j.cmd), v.name), jobEvidence(j))
				f.Discriminator = j.id
				sm.fillJob(f, j)
			}
		}
	}

	// CSA-READY-005: another host must be Up and Enabled.
	var others []string
	for _, o := range cl.order {
		if o != h && o.status == "Up" && o.state == "Enabled" {
			others = append(others, o.name)
		}
	}
	if len(others) == 0 {
		msg := fmt.Sprintf("host %s is the last Up and Enabled host of cluster %s", h.name, cl.cluster.name)
		if len(vms) > 0 {
			msg += fmt.Sprintf(": CloudStack would force-stop its %d VMs instead of migrating them", len(vms))
		}
		sm.hostFinding(ruleLastHost, h, msg, map[string]any{"vms": len(vms)})
	}

	// CSA-READY-009: VM HA manager.
	if v, ok := cl.setting("vm.ha.enabled", "zone", h.zone); ok && strings.EqualFold(strings.TrimSpace(v), "false") && len(cl.onHost[h.id]) > 0 {
		sm.hostFinding(ruleHA, h, fmt.Sprintf("vm.ha.enabled is false for the zone of host %s, which has VMs: CloudStack refuses its maintenance", h.name),
			map[string]any{"setting": "vm.ha.enabled", "value": v})
	}

	// CSA-READY-010/011: facts from the hosts.
	sm.bmc(h)
	sm.agent(h)

	// CSA-READY-007/008: where every VM goes.
	sm.place(h, vms, &step)

	step.Verdict = report.Go
	for _, f := range sm.findings[before:] {
		if f.Severity == report.High {
			step.Verdict = report.NoGo
		}
	}
	if sm.o.Strict {
		for _, id := range sortedKeys(sm.hostNotChecked) {
			r := ruleByID(id)
			sm.add(id, h.res(), fmt.Sprintf("%s was not checked for host %s (--strict): %s", r.title, h.name, strings.Join(sm.notChecked[id], "; ")),
				map[string]any{"not_checked": sm.notChecked[id]}, h)
			step.Verdict = report.NoGo
		}
	}
	sm.down = ""
	return step
}

// vmsOn are the VMs of h that must leave it: every VM whose host_id is h,
// except those already leaving or stopped.
func (sm *sim) vmsOn(h *host) []*vm {
	var out []*vm
	for _, v := range sm.cl.onHost[h.id] {
		switch v.state {
		case "Stopped", "Destroyed", "Expunging":
			continue
		}
		if _, moved := sm.movedOnto[v.id]; moved {
			continue
		}
		out = append(out, v)
	}
	// VMs moved onto h by earlier drains leave again.
	for vid, hid := range sm.movedOnto {
		if hid == h.id {
			out = append(out, sm.cl.vms[vid])
		}
	}
	slices.SortFunc(out, func(a, b *vm) int { return compareIDs(a.id, b.id) })
	return out
}

func (sm *sim) bmc(h *host) {
	s := sm.cl.snap
	if run, ok := s.Meta.Collectors[collectors.NameIPMI]; !ok || !run.Selected {
		sm.collectorOff[ruleBMC] = true
		sm.skip(ruleBMC, "the ipmi collector was not run")
		return
	}
	b := s.OOBM[h.uuid]
	if b == nil || b.Reachable == nil {
		why := "no BMC facts for host " + h.name
		if b != nil && b.NotProbed != "" {
			why += " (" + b.NotProbed + ")"
		} else if c := s.Coverage["oobm.reachability"]; c != nil && c.Failed[h.uuid] != "" {
			why += ": " + c.Failed[h.uuid]
		}
		sm.skip(ruleBMC, why)
		return
	}
	if !*b.Reachable {
		sm.hostFinding(ruleBMC, h, fmt.Sprintf("the BMC of host %s did not answer (%s)", h.name, orDash(b.ReachDetail)),
			map[string]any{"bmc_address": b.Address, "reach_detail": b.ReachDetail})
	}
}

func (sm *sim) agent(h *host) {
	s := sm.cl.snap
	if run, ok := s.Meta.Collectors[collectors.NameHosts]; !ok || !run.Selected {
		sm.collectorOff[ruleAgent] = true
		sm.skip(ruleAgent, "the hosts collector was not run")
		return
	}
	hf := s.Hosts[h.uuid]
	if hf == nil || hf.Agent == nil {
		why := "no agent state for host " + h.name
		if c := s.Coverage["hosts.agent"]; c != nil && c.Failed[h.uuid] != "" {
			why += ": " + c.Failed[h.uuid]
		}
		sm.skip(ruleAgent, why)
		return
	}
	if hf.Agent.State != "active" {
		sm.hostFinding(ruleAgent, h, fmt.Sprintf("cloudstack-agent on host %s is %s, not active", h.name, hf.Agent.State), map[string]any{"agent_state": hf.Agent.State})
	}
}

// place finds a destination for each VM, largest first, and records the moves.
func (sm *sim) place(h *host, vms []*vm, step *report.ReadinessHost) {
	cl := sm.cl
	localKnown := cl.missing["volumes"] == "" && cl.missing["storage_pool"] == ""
	if !localKnown {
		why := cl.missing["volumes"]
		if why == "" {
			why = cl.missing["storage_pool"]
		}
		sm.skip(ruleLocal, why)
	}
	for _, t := range []string{"host_tags", "affinity_group", "affinity_group_vm_map", "dedicated_resources"} {
		if why := cl.missing[t]; why != "" {
			sm.skip(rulePlacement, why)
		}
	}
	var todo []*vm
	for _, v := range vms {
		switch v.state {
		case "Starting", "Stopping", "Migrating", "Error", "Unknown", "Shutdown":
			// Reported above; CloudStack would not start the drain.
			continue
		}
		if v.sizeErr != "" {
			sm.vmFinding(rulePlacement, v, h, fmt.Sprintf("VM %s cannot be placed: its size is unknown (%s)", v.name, v.sizeErr), map[string]any{"reason": "size_unknown"})
			continue
		}
		if v.localBytes > 0 {
			switch {
			case strings.EqualFold(sm.strategy, "ForceStop"):
				f := sm.vmFinding(ruleLocal, v, h, fmt.Sprintf("VM %s uses local storage: strategy ForceStop would stop it during the maintenance of host %s (downtime)", v.name, h.name),
					map[string]any{"strategy": sm.strategy, "local_storage_bytes": v.localBytes})
				f.Severity = report.Medium
				step.Stopped = append(step.Stopped, v.res())
				continue
			case strings.EqualFold(sm.strategy, "Migration"):
				if cl.missing["storage_pool_host_ref"] != "" {
					sm.skip(ruleLocal, cl.missing["storage_pool_host_ref"])
				}
			case sm.strategy == "" || strings.EqualFold(sm.strategy, "Error"):
				sm.vmFinding(ruleLocal, v, h, fmt.Sprintf("VM %s uses local storage of host %s and host.maintenance.local.storage.strategy is Error: CloudStack refuses the maintenance", v.name, h.name),
					map[string]any{"strategy": orDash(sm.strategy), "local_storage_bytes": v.localBytes, "local_pools": v.localPools})
				continue
			default:
				sm.vmFinding(ruleLocal, v, h, fmt.Sprintf("VM %s uses local storage and host.maintenance.local.storage.strategy %q is none of Error, Migration, ForceStop: CloudStack refuses the maintenance", v.name, sm.strategy),
					map[string]any{"strategy": sm.strategy, "local_storage_bytes": v.localBytes})
				continue
			}
		}
		todo = append(todo, v)
	}
	// First-fit decreasing: memory, then CPU, then id.
	slices.SortStableFunc(todo, func(a, b *vm) int {
		if c := cmp.Compare(b.ramBytes(), a.ramBytes()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.cpuMHz(), a.cpuMHz()); c != 0 {
			return c
		}
		return compareIDs(a.id, b.id)
	})
	for _, v := range todo {
		if blocked := sm.clusterThreshold(v, h); blocked {
			continue
		}
		dest, tried := sm.firstFit(v)
		if dest == nil {
			msg := fmt.Sprintf("VM %s (%d MHz, %d MiB) on host %s has no destination in cluster %s", v.name, v.cpuMHz(), v.ramMB, h.name, cl.cluster.name)
			if len(tried) == 0 {
				msg += ": no other host"
			} else {
				msg += ": " + summarize(tried)
			}
			sm.vmFinding(rulePlacement, v, h, msg, map[string]any{"reason": "no_host", "cpu_mhz_needed": v.cpuMHz(), "ram_bytes_needed": v.ramBytes(),
				"host_tags": v.hostTags, "local_storage_bytes": v.localBytes, "candidates": tried})
			continue
		}
		sm.move(v, h, dest)
		mv := report.Move{VM: v.res(), From: h.res(), To: dest.res(), CPUMHz: v.cpuMHz(), RAMBytes: v.ramBytes()}
		if strings.EqualFold(sm.strategy, "Migration") {
			mv.LocalStorageBytes = v.localBytes
		}
		step.Moves = append(step.Moves, mv)
	}
}

// clusterThreshold applies removeClustersCrossingThreshold: with the drained
// host's capacity disabled, would placing v push the cluster's allocated
// fraction of CPU or memory past its disable threshold?
func (sm *sim) clusterThreshold(v *vm, h *host) bool {
	if !sm.thresholdOn {
		return false
	}
	for _, c := range []struct {
		t         int
		name      string
		setting   string
		factor    float64
		threshold float64
		need      int64
	}{
		{capCPU, "cpu", "cluster.cpu.allocated.capacity.disablethreshold", sm.cpuFactor, sm.cpuThreshold, v.cpuMHz()},
		{capMemory, "memory", "cluster.memory.allocated.capacity.disablethreshold", sm.memFactor, sm.memThreshold, v.ramBytes()},
	} {
		var used, total float64
		for _, o := range sm.cl.order {
			r := o.cap[c.t]
			if o == h || !o.hasCap[c.t] || !r.enabled || r.total <= 0 {
				continue
			}
			used += float64(sm.used[o.id][c.t] + r.reserved)
			total += float64(r.total) * c.factor
		}
		if total == 0 {
			continue // no other host: CSA-READY-005 and the placement say why
		}
		ratio := (used + float64(c.need)) / total
		if ratio > c.threshold {
			sm.vmFinding(rulePlacement, v, h, fmt.Sprintf("moving VM %s would bring cluster %s to %.1f%% of its %s, beyond %s %.2f",
				v.name, sm.cl.cluster.name, 100*ratio, c.name, c.setting, c.threshold),
				map[string]any{"reason": "cluster_threshold", "capacity": c.name, "needed": c.need, "cluster_allocated": int64(used),
					"cluster_total_overprovisioned": int64(total), "fraction_after": round3(ratio), "threshold": c.threshold, "setting": c.setting,
					"overprovisioning_factor": c.factor, "cluster": sm.cl.cluster.name})
			return true
		}
	}
	return false
}

// candidate is one host considered for a VM and why it was refused.
type candidate struct {
	Host         string `json:"host"`
	Reason       string `json:"reason"`
	FreeCPUMHz   *int64 `json:"free_cpu_mhz,omitempty"`
	FreeRAMBytes *int64 `json:"free_ram_bytes,omitempty"`
}

// firstFit returns the first host, in id order, that takes v, and the
// reasons the others were refused.
func (sm *sim) firstFit(v *vm) (*host, []candidate) {
	var tried []candidate
	for _, o := range sm.cl.order {
		if o.id == sm.down {
			continue
		}
		c := candidate{Host: o.name}
		if why := sm.refuse(v, o); why != "" {
			c.Reason = why
			if o.hasCap[capCPU] && o.hasCap[capMemory] {
				fc, fm := sm.free(o, capCPU), sm.free(o, capMemory)
				c.FreeCPUMHz, c.FreeRAMBytes = &fc, &fm
			}
			tried = append(tried, c)
			continue
		}
		return o, tried
	}
	return nil, tried
}

// free is total x factor - (used + reserved), as checkIfHostHasCapacity computes it.
func (sm *sim) free(o *host, t int) int64 {
	f := sm.memFactor
	if t == capCPU {
		f = sm.cpuFactor
	}
	r := o.cap[t]
	return int64(float64(r.total)*f) - (sm.used[o.id][t] + r.reserved)
}

// refuse says why host o cannot take v, or "".
func (sm *sim) refuse(v *vm, o *host) string {
	cl := sm.cl
	switch {
	case o.status != "Up":
		return "status " + o.status
	case o.state != "Enabled":
		return "resource state " + o.state
	case sm.haTag != "" && o.tags[sm.haTag]:
		return "reserved for HA restarts (ha.tag " + sm.haTag + ")"
	}
	var lacking []string
	for _, t := range v.hostTags {
		if !o.tags[t] {
			lacking = append(lacking, t)
		}
	}
	if len(lacking) > 0 {
		why := "lacks host tag " + strings.Join(lacking, ", ")
		if len(o.ruleTags) > 0 {
			why += " (its tag rules are not evaluated)"
		}
		return why
	}
	if why := sm.dedicated(v, o); why != "" {
		return why
	}
	for _, g := range cl.vmGroups[v.id] {
		if why := sm.affinity(v, o, g); why != "" {
			return why
		}
	}
	if o.cpus < v.cpu || o.speed < v.speed {
		return fmt.Sprintf("CPU capability: %d cores at %d MHz, VM needs %d at %d MHz", o.cpus, o.speed, v.cpu, v.speed)
	}
	if !o.hasCap[capCPU] || !o.hasCap[capMemory] {
		return "no op_host_capacity rows for CPU and memory"
	}
	if fc := sm.free(o, capCPU); v.cpuMHz() > fc {
		return fmt.Sprintf("CPU: needs %d MHz, %d free", v.cpuMHz(), fc)
	}
	if fm := sm.free(o, capMemory); v.ramBytes() > fm {
		return fmt.Sprintf("memory: needs %d MiB, %d MiB free", v.ramMB, fm>>20)
	}
	if v.localBytes > 0 && strings.EqualFold(sm.strategy, "Migration") {
		if _, ok := sm.localPool(v, o); !ok {
			return fmt.Sprintf("no local pool with %d GiB free for the VM's local volumes", v.localBytes>>30)
		}
	}
	return ""
}

// localPool is a local pool of o with room for v's local volumes under
// pool.storage.allocated.capacity.disablethreshold.
func (sm *sim) localPool(v *vm, o *host) (*pool, bool) {
	th := 0.85
	if f, err := sm.cl.factor("pool.storage.allocated.capacity.disablethreshold"); err == nil {
		th = f
	}
	for _, p := range o.pools {
		if float64(sm.poolAlloc[p.id]+v.localBytes) <= float64(p.capacity)*th {
			return p, true
		}
	}
	return nil, false
}

// dedicated applies dedicated_resources to a destination host: a host
// dedicated to an account or domain takes only their VMs, and a VM in an
// explicit dedication group goes only where its group is dedicated.
func (sm *sim) dedicated(v *vm, o *host) string {
	for _, d := range sm.cl.dedic {
		if d.host != o.id {
			continue
		}
		switch {
		case d.account != "" && d.account != v.account:
			return "dedicated to another account"
		case d.account == "" && d.domain != "" && d.domain != v.domain:
			return "dedicated to another domain"
		}
	}
	for _, g := range sm.cl.vmGroups[v.id] {
		if g.typ != "ExplicitDedication" {
			continue
		}
		ok := false
		for _, d := range sm.cl.dedic {
			if d.group == g.id && (d.host == o.id || d.cluster == sm.cl.cluster.id && d.host == "" || d.pod == o.pod && d.cluster == "" && d.host == "" ||
				d.zone == o.zone && d.pod == "" && d.cluster == "" && d.host == "") {
				ok = true
			}
		}
		if !ok {
			return "not dedicated to the VM's explicit dedication group " + g.name
		}
	}
	return ""
}

// affinity applies host anti-affinity (no other member on o) and host
// affinity (every other member that is not on the drained host is on o).
func (sm *sim) affinity(v *vm, o *host, g *group) string {
	switch g.typ {
	case "host anti-affinity":
		for _, m := range g.members {
			if m != v.id && sm.where[m] == o.id {
				return "host anti-affinity group " + g.name + " has another VM there"
			}
		}
	case "host affinity":
		for _, m := range g.members {
			if w := sm.where[m]; m != v.id && w != "" && w != sm.down && w != o.id {
				return "host affinity group " + g.name + " runs elsewhere"
			}
		}
	}
	return ""
}

func (sm *sim) move(v *vm, from, to *host) {
	sm.used[from.id][capMemory] -= v.ramBytes()
	sm.used[from.id][capCPU] -= v.cpuMHz()
	sm.used[to.id][capMemory] += v.ramBytes()
	sm.used[to.id][capCPU] += v.cpuMHz()
	if _, ok := sm.cl.vmGroups[v.id]; ok {
		sm.where[v.id] = to.id
	}
	if sm.movedOnto == nil {
		sm.movedOnto = map[string]string{}
	}
	sm.movedOnto[v.id] = to.id
	if v.localBytes > 0 && strings.EqualFold(sm.strategy, "Migration") {
		if p, ok := sm.localPool(v, to); ok {
			sm.poolAlloc[p.id] += v.localBytes
		}
		for _, p := range v.localPools {
			sm.poolAlloc[p] -= v.localBytes
		}
	}
}

func summarize(cs []candidate) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, c.Host+": "+c.Reason)
	}
	const max = 5
	if len(parts) > max {
		return strings.Join(parts[:max], "; ") + fmt.Sprintf("; and %d more hosts", len(parts)-max)
	}
	return strings.Join(parts, "; ")
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortCmd(c string) string {
	if i := strings.LastIndex(c, "."); i >= 0 {
		return c[i+1:]
	}
	return orDash(c)
}

func jobEvidence(j job) map[string]any {
	return map[string]any{"job_id": j.id, "job_uuid": j.uuid, "job_cmd": j.cmd, "instance_type": j.instanceType, "created": j.created}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
