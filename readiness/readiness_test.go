package readiness

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
)

func judge(t *testing.T, s *collectors.Snapshot, hostName, clusterName string, o Options) *Result {
	t.Helper()
	tg, err := Resolve(s, hostName, clusterName)
	if err != nil {
		t.Fatalf("resolve %q/%q: %v", hostName, clusterName, err)
	}
	res, err := Judge(s, tg, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// plan maps VM name to destination host name over every drained host.
func plan(r *report.Readiness) map[string]string {
	out := map[string]string{}
	for _, h := range r.Hosts {
		for _, m := range h.Moves {
			out[m.VM.Name] = m.To.Name
		}
	}
	return out
}

// reasons lists the no-go findings as "check resource-name".
func reasons(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Severity == report.High {
			out = append(out, f.CheckID+" "+f.Resource.Name)
		}
	}
	return out
}

func finding(t *testing.T, res *Result, check, resource string) report.Finding {
	t.Helper()
	for _, f := range res.Findings {
		if f.CheckID == check && f.Resource.Name == resource {
			return f
		}
	}
	t.Fatalf("no %s finding on %s; findings: %v", check, resource, reasons(res))
	return report.Finding{}
}

// TestHostRules judges one host per scenario of the shared cloud (one
// cluster each), read from real MariaDB by the database collector.
func TestHostRules(t *testing.T) {
	m := cloudDB(t, "ready")
	s := collect(t, m, "ready")
	for _, tc := range []struct {
		name, host string
		noGo       []string          // "check resource" of every high finding, in report order
		plan       map[string]string // for go: where each VM goes
	}{
		{name: "go", host: "c01-h1", plan: map[string]string{"vm-101": "c01-h2", "vm-102": "c01-h2"}},
		{name: "empty host", host: "c01-h2", plan: map[string]string{}},
		{name: "no host has room", host: "c02-h1", noGo: []string{rulePlacement + " vm-201"}},
		{name: "fits thanks to the cluster's cpuOvercommitRatio", host: "c03-h1", plan: map[string]string{"vm-301": "c03-h2"}},
		{name: "same without the override", host: "c04-h1", noGo: []string{rulePlacement + " vm-401"}},
		{name: "cluster disable threshold", host: "c05-h1", noGo: []string{rulePlacement + " vm-501"}},
		{name: "cluster threshold override", host: "c06-h1", plan: map[string]string{"vm-601": "c06-h2"}},
		{name: "host tag nobody else has", host: "c07-h1", noGo: []string{rulePlacement + " vm-701"}},
		{name: "host tag elsewhere", host: "c08-h1", plan: map[string]string{"vm-801": "c08-h3"}},
		{name: "ha.tag host reserved", host: "c09-h1", noGo: []string{rulePlacement + " vm-901"}},
		{name: "anti-affinity blocks", host: "c10-h1", noGo: []string{rulePlacement + " vm-1001"}},
		{name: "anti-affinity elsewhere", host: "c11-h1", plan: map[string]string{"vm-1101": "c11-h3"}},
		{name: "dedicated to another account", host: "c12-h1", noGo: []string{rulePlacement + " vm-1201"}},
		{name: "dedicated to the VM's account", host: "c13-h1", plan: map[string]string{"vm-1301": "c13-h2"}},
		{name: "custom offering fits", host: "c14-h1", plan: map[string]string{"vm-1401": "c14-h2"}},
		{name: "custom offering too big", host: "c15-h1", noGo: []string{rulePlacement + " vm-1501"}},
		{name: "local storage, strategy Error", host: "c16-h1", noGo: []string{ruleLocal + " vm-1601"}},
		{name: "VM Starting", host: "c17-h1", noGo: []string{ruleVMState + " vm-1701"}},
		{name: "VM in Error", host: "c18-h1", noGo: []string{ruleVMState + " vm-1801"}},
		{name: "incoming migration", host: "c19-h1", noGo: []string{ruleMigration + " vm-1901"}},
		{name: "outgoing migration", host: "c19-h2", noGo: []string{ruleMigration + " vm-1901"}},
		{name: "pending job", host: "c20-h1", noGo: []string{ruleJobs + " vm-2001"}},
		{name: "last Up and Enabled host", host: "c21-h1", noGo: []string{ruleLastHost + " c21-h1", rulePlacement + " vm-2101"}},
		{name: "router mid-migration", host: "c22-h1", noGo: []string{ruleRouter + " vm-2201"}},
		{name: "router's destination", host: "c22-h2", noGo: []string{ruleRouter + " vm-2201"}},
		{name: "router running", host: "c29-h1", plan: map[string]string{"vm-2901": "c29-h2"}},
		{name: "host affinity", host: "c30-h1", plan: map[string]string{"vm-3001": "c30-h3"}},
		{name: "VM HA manager off in the zone", host: "c23-h1", noGo: []string{ruleHA + " c23-h1"}},
		{name: "other host preparing", host: "c25-h2", noGo: []string{ruleState + " c25-h1"}},
		{name: "host already preparing", host: "c25-h1", noGo: []string{ruleState + " c25-h1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := judge(t, s, tc.host, "", Options{})
			rd := res.Readiness
			r := &report.Report{}
			res.Apply(r) // sorts findings as every report does
			got := reasons(&Result{Findings: r.Findings})
			if tc.noGo != nil {
				if rd.Verdict != report.NoGo {
					t.Fatalf("verdict %s, want no-go", rd.Verdict)
				}
				if diff := cmp.Diff(tc.noGo, got); diff != "" {
					t.Fatalf("no-go reasons (-want +got):\n%s", diff)
				}
				for _, f := range r.Findings {
					if f.Message == "" || f.Resource.Name == "" || f.Remediation.Summary == "" {
						t.Errorf("finding without message, resource or remediation: %+v", f)
					}
				}
				return
			}
			if rd.Verdict != report.Go || len(got) > 0 {
				t.Fatalf("verdict %s, reasons %v; want go", rd.Verdict, got)
			}
			if diff := cmp.Diff(tc.plan, plan(rd)); diff != "" {
				t.Fatalf("plan (-want +got):\n%s", diff)
			}
			if rd.Mode != "host" || len(rd.Hosts) != 1 || rd.Hosts[0].Host.Name != tc.host {
				t.Fatalf("readiness hosts: %+v", rd.Hosts)
			}
		})
	}
}

// TestEvidence checks that the numbers behind a verdict are in the finding.
func TestEvidence(t *testing.T) {
	m := cloudDB(t, "ready")
	s := collect(t, m, "ready")

	f := finding(t, judge(t, s, "c05-h1", "", Options{}), rulePlacement, "vm-501")
	ev := f.Evidence
	if ev["reason"] != "cluster_threshold" || ev["capacity"] != "memory" || ev["threshold"] != 0.85 || ev["fraction_after"] != 0.875 ||
		ev["needed"] != 8*gib || ev["cluster_allocated"] != 104*gib || ev["cluster_total_overprovisioned"] != 128*gib {
		t.Errorf("threshold evidence: %v", ev)
	}
	if !strings.Contains(f.Message, "87.5%") || !strings.Contains(f.Message, "cluster.memory.allocated.capacity.disablethreshold") {
		t.Errorf("message: %s", f.Message)
	}

	f = finding(t, judge(t, s, "c02-h1", "", Options{}), rulePlacement, "vm-201")
	cands, ok := f.Evidence["candidates"].([]candidate)
	if !ok || len(cands) != 2 {
		t.Fatalf("candidates: %#v", f.Evidence["candidates"])
	}
	for _, c := range cands {
		if c.FreeRAMBytes == nil || *c.FreeRAMBytes != 10*gib || !strings.HasPrefix(c.Reason, "memory: needs 16384 MiB, 10240 MiB free") {
			t.Errorf("candidate %+v", c)
		}
	}
	if f.Evidence["ram_bytes_needed"] != 16*gib || f.Evidence["cpu_mhz_needed"] != int64(8000) {
		t.Errorf("needed: %v", f.Evidence)
	}

	// The custom offering's size comes from vm_instance_details.
	res := judge(t, s, "c14-h1", "", Options{})
	mv := res.Readiness.Hosts[0].Moves[0]
	if mv.CPUMHz != 8000 || mv.RAMBytes != 8*gib || mv.From.Name != "c14-h1" || mv.VM.UUID != uid(kVM, 1401) {
		t.Errorf("custom move: %+v", mv)
	}

	// A router is filed and moved as a router.
	if mv := judge(t, s, "c29-h1", "", Options{}).Readiness.Hosts[0].Moves; len(mv) != 1 || mv[0].VM.Type != "router" || mv[0].RAMBytes != 512<<20 {
		t.Errorf("router move: %+v", mv)
	}

	// Commands carry only well-formed uuids.
	f = finding(t, judge(t, s, "c17-h1", "", Options{}), ruleVMState, "vm-1701")
	if len(f.Remediation.Commands) == 0 || !strings.Contains(f.Remediation.Commands[0].Text, "id="+uid(kVM, 1701)) {
		t.Errorf("commands: %+v", f.Remediation.Commands)
	}
	if len(f.Remediation.Steps) < 3 || !strings.HasPrefix(f.Remediation.Steps[0], "Diagnose") || !strings.HasPrefix(f.Remediation.Steps[2], "Act") {
		t.Errorf("steps not diagnose → verify → act: %q", f.Remediation.Steps)
	}
}

func TestLocalStorageStrategies(t *testing.T) {
	// One more copy of the cloud, whose global strategy each case sets.
	m := cloudDB(t, "ready_alt")
	withStrategy := func(t *testing.T, v string) *collectors.Snapshot {
		t.Helper()
		if err := m.Exec("ready_alt", "REPLACE INTO configuration (category,instance,component,name,value,description,default_value,scope,is_dynamic) "+
			"VALUES ('Advanced','DEFAULT','management-server','host.maintenance.local.storage.strategy','"+v+"','','Error',1,1)"); err != nil {
			t.Fatal(err)
		}
		return collect(t, m, "ready_alt")
	}
	t.Run("ForceStop", func(t *testing.T) {
		s := withStrategy(t, "ForceStop")
		res := judge(t, s, "c16-h1", "", Options{})
		if res.NoGo() {
			t.Fatalf("ForceStop: want go with a warning, got %v", reasons(res))
		}
		f := finding(t, res, ruleLocal, "vm-1601")
		if f.Severity != report.Medium || !strings.Contains(f.Message, "downtime") {
			t.Errorf("warning: %+v", f)
		}
		st := res.Readiness.Hosts[0].Stopped
		if len(st) != 1 || st[0].Name != "vm-1601" || len(res.Readiness.Hosts[0].Moves) != 0 {
			t.Errorf("stopped %+v, moves %+v", st, res.Readiness.Hosts[0].Moves)
		}
	})
	t.Run("Migration", func(t *testing.T) {
		s := withStrategy(t, "Migration")
		res := judge(t, s, "c16-h1", "", Options{})
		if res.NoGo() {
			t.Fatalf("Migration with room: want go, got %v", reasons(res))
		}
		mv := res.Readiness.Hosts[0].Moves
		if len(mv) != 1 || mv[0].To.Name != "c16-h2" || mv[0].LocalStorageBytes != 20*gib {
			t.Fatalf("moves %+v", mv)
		}
		res = judge(t, s, "c26-h1", "", Options{})
		f := finding(t, res, rulePlacement, "vm-2601")
		if !res.NoGo() || !strings.Contains(f.Message, "no local pool with 20 GiB free") {
			t.Fatalf("Migration without room: %v %s", reasons(res), f.Message)
		}
	})
	t.Run("unknown value", func(t *testing.T) {
		res := judge(t, withStrategy(t, "Shred"), "c16-h1", "", Options{})
		f := finding(t, res, ruleLocal, "vm-1601")
		if !res.NoGo() || !strings.Contains(f.Message, "none of Error, Migration, ForceStop") {
			t.Fatalf("unknown strategy: %v %s", reasons(res), f.Message)
		}
	})
}

func TestClusterDrain(t *testing.T) {
	s := collect(t, cloudDB(t, "ready"), "ready")

	res := judge(t, s, "", "c24-drain", Options{})
	rd := res.Readiness
	if rd.Verdict != report.NoGo || rd.StoppedAt == nil || rd.StoppedAt.Name != "c24-h3" {
		t.Fatalf("verdict %s, stopped at %+v", rd.Verdict, rd.StoppedAt)
	}
	var verdicts []string
	for _, h := range rd.Hosts {
		verdicts = append(verdicts, h.Host.Name+" "+h.Verdict)
	}
	want := []string{"c24-h1 go", "c24-h2 go", "c24-h3 no-go", "c24-h4 not simulated"}
	if diff := cmp.Diff(want, verdicts); diff != "" {
		t.Fatalf("drain (-want +got):\n%s", diff)
	}
	// Each host's VMs were placed before the next host drained: h1's VMs
	// went to h2, and leave it again with h2's own VM for h1, back from
	// its maintenance.
	wantPlan := map[string]string{"vm-2401": "c24-h1", "vm-2402": "c24-h1", "vm-2403": "c24-h1"}
	got := plan(rd)
	if diff := cmp.Diff(wantPlan, got); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{rulePlacement + " vm-2404"}, reasons(res)); diff != "" {
		t.Fatalf("reasons:\n%s", diff)
	}

	res = judge(t, s, "", "c01-go", Options{})
	if res.NoGo() || len(res.Readiness.Hosts) != 3 || res.Readiness.Hosts[2].Verdict != report.InMaintenance {
		t.Fatalf("c01 drain: %v %+v", reasons(res), res.Readiness.Hosts)
	}
	// h1's VMs go to h2, then leave again for h1 when h2 drains.
	if h2 := res.Readiness.Hosts[1]; len(h2.Moves) != 2 || h2.Moves[0].To.Name != "c01-h1" {
		t.Fatalf("second host's moves: %+v", h2.Moves)
	}
}

func TestResolve(t *testing.T) {
	s := collect(t, cloudDB(t, "ready"), "ready")
	_, err := Resolve(s, "no-such-host", "")
	var ne *NameError
	if !errors.As(err, &ne) || ne.Ambiguous || len(ne.Candidates) != 0 {
		t.Fatalf("unknown host: %v", err)
	}
	_, err = Resolve(s, "c01", "")
	if !errors.As(err, &ne) || len(ne.Candidates) != 3 || !strings.Contains(err.Error(), uid(kHost, 11)) {
		t.Fatalf("partial name: %v", err)
	}
	_, err = Resolve(s, "dup-host", "")
	if !errors.As(err, &ne) || !ne.Ambiguous || len(ne.Candidates) != 2 ||
		!strings.Contains(err.Error(), uid(kHost, 271)) || !strings.Contains(err.Error(), uid(kHost, 281)) {
		t.Fatalf("ambiguous host: %v", err)
	}
	tg, err := Resolve(s, "dup-host", "c28-dup")
	if err != nil || tg.HostID != "281" {
		t.Fatalf("host within cluster: %+v %v", tg, err)
	}
	tg, err = Resolve(s, uid(kHost, 271), "")
	if err != nil || tg.HostID != "271" || tg.Cluster.name != "c27-dup" {
		t.Fatalf("by uuid: %+v %v", tg, err)
	}
	if _, err = Resolve(s, "", "no-such-cluster"); !errors.As(err, &ne) || ne.Kind != "cluster" {
		t.Fatalf("unknown cluster: %v", err)
	}
}

// TestHostFacts: BMC and agent are judged when their collectors ran, and
// otherwise not checked (no-go only with --strict). The facts are set here
// as the ipmi and hosts collectors record them; those collectors' own tests
// read them from ipmi_sim and sshd.
func TestHostFacts(t *testing.T) {
	m := cloudDB(t, "ready")
	hostUUID := uid(kHost, 11)
	status := func(res *Result, id string) report.Status {
		for _, c := range res.Checks {
			if c.ID == id {
				return c.Status
			}
		}
		return ""
	}

	s := collect(t, m, "ready")
	res := judge(t, s, "c01-h1", "", Options{})
	if res.NoGo() || status(res, ruleBMC) != report.Skipped || status(res, ruleAgent) != report.Skipped || len(res.Readiness.NotChecked) != 2 {
		t.Fatalf("not collected: verdict %s, checks %s/%s, not checked %+v", res.Readiness.Verdict, status(res, ruleBMC), status(res, ruleAgent), res.Readiness.NotChecked)
	}
	res = judge(t, s, "c01-h1", "", Options{Strict: true})
	if diff := cmp.Diff([]string{ruleBMC + " c01-h1", ruleAgent + " c01-h1"}, reasons(res)); !res.NoGo() || diff != "" {
		t.Fatalf("strict: %s %s", res.Readiness.Verdict, diff)
	}

	no, yes := false, true
	s.Meta.Collectors[collectors.NameIPMI] = collectors.CollectorRun{Selected: true, OK: true}
	s.Meta.Collectors[collectors.NameHosts] = collectors.CollectorRun{Selected: true, OK: true}
	s.OOBM[hostUUID] = &collectors.BMCFacts{HostID: "11", Address: "10.250.0.11:623", Reachable: &no, ReachDetail: "no answer within 3s"}
	s.Hosts[hostUUID] = &collectors.HostFacts{HostID: "11", Name: "c01-h1", Agent: &collectors.AgentFact{State: "failed"}}
	res = judge(t, s, "c01-h1", "", Options{})
	if diff := cmp.Diff([]string{ruleBMC + " c01-h1", ruleAgent + " c01-h1"}, reasons(res)); !res.NoGo() || diff != "" {
		t.Fatalf("BMC down, agent failed: %s %s", res.Readiness.Verdict, diff)
	}

	s.OOBM[hostUUID].Reachable = &yes
	s.Hosts[hostUUID].Agent.State = "active"
	res = judge(t, s, "c01-h1", "", Options{Strict: true})
	if res.NoGo() || status(res, ruleBMC) != report.Pass || status(res, ruleAgent) != report.Pass {
		t.Fatalf("BMC up, agent active: %v", reasons(res))
	}
	// Another host's facts missing while the collectors ran: not checked, error.
	res = judge(t, s, "c01-h2", "", Options{})
	if res.NoGo() || status(res, ruleBMC) != report.Error || status(res, ruleAgent) != report.Error {
		t.Fatalf("facts missing for the host: %s %s/%s", res.Readiness.Verdict, status(res, ruleBMC), status(res, ruleAgent))
	}
}

// TestSavedSnapshot: a snapshot saved as JSON and loaded again (numbers
// become float64) gives the same verdict and plan.
func TestSavedSnapshot(t *testing.T) {
	s := collect(t, cloudDB(t, "ready"), "ready")
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back collectors.Snapshot
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"c03-h1", "c05-h1", "c11-h1", "c14-h1", "c20-h1"} {
		a, z := judge(t, s, h, "", Options{}), judge(t, &back, h, "", Options{})
		if diff := cmp.Diff(a.Readiness, z.Readiness); diff != "" {
			t.Errorf("%s readiness differs after a JSON round trip:\n%s", h, diff)
		}
		if diff := cmp.Diff(reasons(a), reasons(z)); diff != "" {
			t.Errorf("%s reasons differ:\n%s", h, diff)
		}
	}
}

// TestNothingWritten: collecting and judging leaves every table as it was.
func TestNothingWritten(t *testing.T) {
	m := cloudDB(t, "ready")
	db, err := m.Root("ready")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum := func() map[string]int64 {
		rows, err := db.Query("CHECKSUM TABLE host, vm_instance, op_host_capacity, async_job, vm_work_job, volumes, storage_pool, cluster_details, configuration, affinity_group_vm_map, dedicated_resources, host_tags")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var name string
			var v int64
			if err := rows.Scan(&name, &v); err != nil {
				t.Fatal(err)
			}
			out[name] = v
		}
		return out
	}
	before := sum()
	s := collect(t, m, "ready")
	for _, h := range []string{"c01-h1", "c19-h1", "c20-h1"} {
		judge(t, s, h, "", Options{})
	}
	judge(t, s, "", "c24-drain", Options{})
	if diff := cmp.Diff(before, sum()); diff != "" {
		t.Fatalf("tables changed:\n%s", diff)
	}
}
