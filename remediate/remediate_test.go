package remediate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// refusedOn fails the test unless err is a refusal whose precondition
// contains want.
func refusedOn(t *testing.T, err error, want string) {
	t.Helper()
	var rf *Refusal
	if !errors.As(err, &rf) {
		t.Fatalf("err = %v, want a refusal on %q", err, want)
	}
	if !strings.Contains(rf.Precondition, want) {
		t.Fatalf("refused on %q (%s), want %q", rf.Precondition, rf.Detail, want)
	}
}

// The acceptance: two VMs stuck in Stopping whose domains are gone
// and one whose domain still runs; the plan offers fixes for the first two
// only and the planning run writes nothing. Apply without yes changes
// nothing; with yes it changes exactly that row and journals it; undo
// restores it; a second undo changes nothing.
func TestAcceptance(t *testing.T) {
	c := newCloud(t)
	gone1, gone2, runs := c.vm("Stopping", c.host), c.vm("Stopping", c.host), c.vm("Stopping", c.host)
	c.setDomains(domain(runs))
	before := checksums(t)
	p, snap, findings := c.plan()
	if after := checksums(t); after != before {
		t.Fatalf("planning wrote to the database:\n%s\n%s", before, after)
	}
	fixFor(t, p, gone1)
	fx := fixFor(t, p, gone2)
	if f := fixFor2(p, runs); f != nil {
		t.Fatalf("a fix was offered for the VM whose domain runs: %+v", f)
	}
	adv := adviceFor(p, runs)
	if adv == nil || !strings.Contains(adv.Why, "still has domain "+instanceName(runs)) {
		t.Fatalf("advice for the running VM = %+v", adv)
	}
	// The report marks the findings a fix exists for, with the plan's ids.
	if n := Annotate(snap, findings); n < 2 {
		t.Errorf("Annotate marked %d findings", n)
	}
	marked := map[string]string{}
	for _, f := range findings {
		if f.Remediation.FixID != "" {
			marked[f.Resource.ID] = f.Remediation.FixID
			if last := f.Remediation.Steps[len(f.Remediation.Steps)-1]; !strings.Contains(last, "csaudit fix plan") || !strings.Contains(last, "fix apply --config CONFIG --plan plan.json --id "+f.Remediation.FixID) {
				t.Errorf("step = %q", last)
			}
		}
	}
	if marked[fmt.Sprint(gone1)] != fixFor(t, p, gone1).ID || marked[fmt.Sprint(gone2)] != fx.ID || marked[fmt.Sprint(runs)] != "" {
		t.Errorf("fix ids in findings = %v", marked)
	}
	if fx.Type != TypeStoppingToStopped || fx.BeforeImage.State != "Stopping" || *fx.BeforeImage.HostID != c.host || fx.BeforeImage.UpdateCount != 7 {
		t.Errorf("fix = %+v", fx)
	}

	ids := []int64{gone1, gone2, runs}
	rows0 := c.rows(ids...)
	dir := filepath.Join(t.TempDir(), "journal")
	a := c.applier(dir)
	o, err := a.Apply(context.Background(), p, fx.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if !o.DryRun || o.Changed || !strings.Contains(o.Display, "UPDATE vm_instance SET state = 'Stopped'") {
		t.Errorf("dry run outcome = %+v", o)
	}
	if got := c.rows(ids...); fmt.Sprint(got) != fmt.Sprint(rows0) {
		t.Fatalf("dry run changed rows:\n%v\n%v", rows0, got)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dry run wrote the journal directory: %v", err)
	}

	o, err = a.Apply(context.Background(), p, fx.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := o.Write(&out); err != nil {
		t.Fatal(err)
	}
	if !o.Changed || !strings.Contains(out.String(), "journal: "+o.JournalID) {
		t.Fatalf("outcome = %s", out.String())
	}
	rows1 := c.rows(ids...)
	for _, id := range []int64{gone1, runs} {
		if rows1[id] != rows0[id] {
			t.Errorf("VM %d changed: %s -> %s", id, rows0[id], rows1[id])
		}
	}
	got := strings.Split(rows1[gone2], "|")
	if got[0] != "Stopped" || got[1] != "NULL" || got[2] != fmt.Sprint(c.host) || got[3] != "PowerOff" || got[6] != "8" {
		t.Errorf("fixed row = %s", rows1[gone2])
	}
	es, err := a.Journal.Entries()
	if err != nil || len(es) != 1 || es[0].ID != o.JournalID || es[0].Op != "apply" || es[0].After.State != "Stopped" {
		t.Fatalf("journal = %+v, %v", es, err)
	}
	stmt, _ := Statement(TypeStoppingToStopped)
	if es[0].Statement != stmt {
		t.Errorf("journal statement = %s", es[0].Statement)
	}
	modes(t, dir)

	o, err = a.Undo(context.Background(), o.JournalID)
	if err != nil || !o.Changed {
		t.Fatalf("undo: %+v, %v", o, err)
	}
	rows2 := c.rows(gone2)
	want := strings.Split(rows0[gone2], "|")
	got = strings.Split(rows2[gone2], "|")
	if strings.Join(got[:6], "|") != strings.Join(want[:6], "|") || got[6] != "9" {
		t.Errorf("undo left %s, before the fix %s", rows2[gone2], rows0[gone2])
	}
	applyID := es[0].ID
	o, err = a.Undo(context.Background(), applyID)
	if err != nil || o.Changed || !strings.Contains(o.Message, "already undone") {
		t.Fatalf("second undo: %+v, %v", o, err)
	}
	if c.rows(gone2)[gone2] != rows2[gone2] {
		t.Error("the second undo changed the row")
	}
	audit, _ := os.ReadFile(filepath.Join(dir, AuditFile))
	if n := strings.Count(string(audit), "\n"); n != 3 {
		t.Errorf("audit log has %d lines, want 3 (apply, undo, undo):\n%s", n, audit)
	}
	checkCanary(t, dir, p, out.String())
}

func fixFor2(p *Plan, vm int64) *Fix {
	for i, f := range p.Fixes {
		if f.Resource.ID == fmt.Sprint(vm) {
			return &p.Fixes[i]
		}
	}
	return nil
}

// modes checks the journal directory is 0700 and its files 0600.
func modes(t *testing.T, dir string) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("journal dir: %v %v", st.Mode(), err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", e.Name(), info.Mode())
		}
	}
}

// checkCanary looks for every planted secret (the fix and audit accounts'
// passwords, the VMs' vnc_password) in the journal, the plan and the output.
func checkCanary(t *testing.T, dir string, p *Plan, outputs ...string) {
	t.Helper()
	shared.canary.CheckDir(t, dir)
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	shared.canary.Check(t, "plan", b)
	for i, o := range outputs {
		shared.canary.Check(t, fmt.Sprintf("output %d", i), []byte(o))
	}
}

// Another writer bumped update_count (CloudStack moved the VM on and back)
// between plan and apply.
func TestRowChangedSincePlan(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Stopping", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	c.exec(fmt.Sprintf("UPDATE vm_instance SET update_count = update_count + 1 WHERE id = %d", vm))
	rows := c.rows(vm)
	_, err := c.applier(journalDir(t)).Apply(context.Background(), p, fx.ID, true)
	refusedOn(t, err, "vm_instance row")
	if !strings.Contains(err.Error(), "update_count is 8, expected 7") {
		t.Errorf("err = %v", err)
	}
	if c.rows(vm)[vm] != rows[vm] {
		t.Error("row changed")
	}
}

// A fresh agent power report rewrote the power columns only.
func TestPowerColumnsChanged(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Stopping", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	c.exec(fmt.Sprintf("UPDATE vm_instance SET power_state_update_time = UTC_TIMESTAMP() WHERE id = %d", vm))
	_, err := c.applier(journalDir(t)).Apply(context.Background(), p, fx.ID, true)
	refusedOn(t, err, "vm_instance row")
	if !strings.Contains(err.Error(), "power_state_update_time") {
		t.Errorf("err = %v", err)
	}
}

// The domain came back on the host after planning.
func TestLibvirtShowsDomain(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Stopping", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	c.setDomains(shutoffByUUID(vm))
	rows := c.rows(vm)
	_, err := c.applier(journalDir(t)).Apply(context.Background(), p, fx.ID, true)
	refusedOn(t, err, "libvirt on host")
	if c.rows(vm)[vm] != rows[vm] {
		t.Error("row changed")
	}
}

// Host no longer Up: the VM may run there unseen.
func TestHostNoLongerUp(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Stopping", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	c.exec(fmt.Sprintf("UPDATE host SET status = 'Disconnected' WHERE id = %d", c.host))
	_, err := c.applier(journalDir(t)).Apply(context.Background(), p, fx.ID, true)
	refusedOn(t, err, fmt.Sprintf("host %d", c.host))
	// Planned now, the VM gets advice, not a fix.
	p2, _, _ := c.plan()
	if f := fixFor2(p2, vm); f != nil {
		t.Fatalf("fix offered on a Disconnected host: %+v", f)
	}
	a := adviceFor(p2, vm)
	if a == nil || !strings.Contains(a.Why, "not Up") || len(a.Steps) != 3 {
		t.Fatalf("advice = %+v", a)
	}
	// The BMC check names the VM's host; the forced stop comes only after it.
	if !strings.Contains(a.Steps[1], fmt.Sprintf("hostid='host-uuid-%d' action=STATUS", c.host)) || !strings.Contains(a.Steps[2], "forced=true") || strings.Contains(a.Steps[1], "forced") {
		t.Errorf("steps = %q", a.Steps)
	}
}

// Two applies of one fix at once: exactly one changes the row.
func TestConcurrentApplies(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Stopping", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	dir := journalDir(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([]*Outcome, 2)
	for i := range 2 {
		a := c.applier(dir)
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = a.Apply(context.Background(), p, fx.ID, true)
		}()
	}
	wg.Wait()
	won := 0
	for i := range 2 {
		var rf *Refusal
		switch {
		case errs[i] == nil && outs[i].Changed:
			won++
		case errors.As(errs[i], &rf):
		default:
			t.Errorf("apply %d: %+v %v", i, outs[i], errs[i])
		}
	}
	es, _ := (&Journal{Dir: dir}).Entries()
	if won != 1 || len(es) != 1 {
		t.Fatalf("%d applies won, %d journal entries (errors %v)", won, len(es), errs)
	}
	if r := strings.Split(c.rows(vm)[vm], "|"); r[6] != "8" {
		t.Errorf("update_count %s, want 8 (one update)", r[6])
	}
}

// A crash after the journal write and before COMMIT leaves the row as it
// was; undo then says the fix never committed and changes nothing.
func TestCrashBeforeCommit(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Stopping", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	rows := c.rows(vm)
	a := c.applier(journalDir(t))
	crash := errors.New("crashed")
	a.beforeCommit = func() error { return crash }
	o, err := a.Apply(context.Background(), p, fx.ID, true)
	if !errors.Is(err, crash) || o.JournalID == "" {
		t.Fatalf("apply: %+v %v", o, err)
	}
	if c.rows(vm)[vm] != rows[vm] {
		t.Fatal("row changed without COMMIT")
	}
	a.beforeCommit = nil
	u, err := a.Undo(context.Background(), o.JournalID)
	if err != nil || u.Changed || !strings.Contains(u.Message, "never committed") {
		t.Fatalf("undo: %+v %v", u, err)
	}
	if c.rows(vm)[vm] != rows[vm] {
		t.Fatal("undo changed the row")
	}
}

// Undo after another writer changed the fixed row is refused.
func TestUndoAfterOtherWriter(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Stopping", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	a := c.applier(journalDir(t))
	o, err := a.Apply(context.Background(), p, fx.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	// CloudStack starts the VM again.
	c.exec(fmt.Sprintf("UPDATE vm_instance SET state = 'Starting', update_count = update_count + 1, update_time = UTC_TIMESTAMP() WHERE id = %d", vm))
	rows := c.rows(vm)
	_, err = a.Undo(context.Background(), o.JournalID)
	refusedOn(t, err, "vm_instance row")
	if c.rows(vm)[vm] != rows[vm] {
		t.Error("refused undo changed the row")
	}
}

// A Starting VM the allocator never placed: no host to ask, fixed on the row.
func TestStartingNeverPlaced(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Starting", 0)
	placed := c.vm("Starting", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	if fx.Type != TypeStartingToStopped {
		t.Fatalf("type %s", fx.Type)
	}
	if a := adviceFor(p, placed); a == nil || fixFor2(p, placed) != nil {
		t.Errorf("placed Starting VM: advice %+v", a)
	}
	o, err := c.applier(journalDir(t)).Apply(context.Background(), p, fx.ID, true)
	if err != nil || !o.Changed {
		t.Fatalf("%+v %v", o, err)
	}
	if r := strings.Split(c.rows(vm)[vm], "|"); r[0] != "Stopped" || r[1] != "NULL" || r[3] != "PowerOn" {
		t.Errorf("row %v", r)
	}
}

// A live or orphaned job on the VM, or open HA work: advice, and apply
// refuses when the job appears after planning.
func TestJobsBlockFixes(t *testing.T) {
	c := newCloud(t)
	vm, ha := c.vm("Stopping", c.host), c.vm("Stopping", c.host)
	c.exec(fmt.Sprintf("INSERT INTO op_ha_work (instance_id, type, vm_type, state, host_id, created, tried, step, time_to_try, updated) "+
		"VALUES (%d, 'HA', 'User', 'Stopping', %d, UTC_TIMESTAMP(), 0, 'Investigating', 0, 0)", ha, c.host))
	p, _, _ := c.plan()
	if a := adviceFor(p, ha); a == nil || !strings.Contains(a.Why, "HA work") {
		t.Errorf("HA advice = %+v", a)
	}
	fx := fixFor(t, p, vm)
	job := shared.nextID.Add(1)
	c.exec(fmt.Sprintf("INSERT INTO async_job (id, uuid, job_cmd, job_status, job_executing_msid, instance_type, instance_id, created, last_updated) "+
		"VALUES (%d, 'job-%d', 'org.apache.cloudstack.api.command.admin.vm.StopVMCmdByAdmin', 0, 99, 'None', NULL, UTC_TIMESTAMP(), UTC_TIMESTAMP());\n"+
		"INSERT INTO vm_work_job (id, step, vm_type, vm_instance_id) VALUES (%d, 'Prepare', 'User', %d)", job, job, job, vm))
	_, err := c.applier(journalDir(t)).Apply(context.Background(), p, fx.ID, true)
	refusedOn(t, err, "async_job")
}

// A Migrating VM gets advice, never a fix.
func TestMigratingIsAdvice(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Migrating", c.host)
	p, _, _ := c.plan()
	a := adviceFor(p, vm)
	if a == nil || fixFor2(p, vm) != nil || !strings.Contains(a.Why, "either host") {
		t.Fatalf("advice = %+v", a)
	}
	if !strings.Contains(a.Steps[0], "Diagnose") || !strings.Contains(a.Steps[2], "Act") {
		t.Errorf("steps not ordered diagnose, verify, act: %q", a.Steps)
	}
}

// A tampered plan cannot change another row or run its own text.
func TestTamperedPlan(t *testing.T) {
	c := newCloud(t)
	vm, other := c.vm("Stopping", c.host), c.vm("Running", c.host)
	c.setDomains(domain(other))
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	a := c.applier(journalDir(t))
	ctx := context.Background()
	rows := c.rows(vm, other)

	// Another id: no such fix.
	if _, err := a.Apply(ctx, p, "fx-000000000000", true); err == nil || !strings.Contains(err.Error(), "no fix") {
		t.Errorf("unknown id: %v", err)
	}
	// Another resource under the same id: the id no longer matches.
	p2 := *p
	p2.Fixes = []Fix{*fx}
	p2.Fixes[0].Resource.ID = fmt.Sprint(other)
	_, err := a.Apply(ctx, &p2, fx.ID, true)
	refusedOn(t, err, "plan integrity")
	// Another resource with a recomputed id: the live row is not the plan's.
	p2.Fixes[0].ID = FixID(fx.Type, p2.Fixes[0].Resource, fx.BeforeImage)
	_, err = a.Apply(ctx, &p2, p2.Fixes[0].ID, true)
	refusedOn(t, err, "vm_instance row")
	// Another type: unknown types are refused.
	p2.Fixes[0] = *fx
	p2.Fixes[0].Type = "vm-running-to-stopped"
	_, err = a.Apply(ctx, &p2, fx.ID, true)
	refusedOn(t, err, "fix type")
	if got := c.rows(vm, other); fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Fatalf("tampered plans changed rows:\n%v\n%v", rows, got)
	}
	// Other text: ignored; the compiled-in statement runs on the fix's row.
	p2.Fixes[0] = *fx
	p2.Fixes[0].Action.Text = fmt.Sprintf("UPDATE vm_instance SET state = 'Destroyed' WHERE id = %d", other)
	o, err := a.Apply(ctx, &p2, fx.ID, true)
	if err != nil || !o.Changed {
		t.Fatalf("%+v %v", o, err)
	}
	stmt, _ := Statement(fx.Type)
	if o.Statement != stmt || strings.Contains(o.Display, "Destroyed") {
		t.Errorf("ran %s", o.Display)
	}
	if c.rows(other)[other] != rows[other] {
		t.Error("the plan's text changed another row")
	}
	// Another statement: a plan carrying fields csaudit does not know is not a plan.
	b, _ := p.Encode()
	bad := bytes.Replace(b, []byte(`"risk":`), []byte(`"statement": "DELETE FROM vm_instance", "risk":`), 1)
	f := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(f, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPlan(f); err == nil || strings.Contains(err.Error(), "DELETE") {
		t.Errorf("LoadPlan: %v", err)
	}
}

// Another database: the plan's db_identity must be the connected one.
func TestOtherDatabase(t *testing.T) {
	c := newCloud(t)
	vm := c.vm("Stopping", c.host)
	p, _, _ := c.plan()
	fx := fixFor(t, p, vm)
	p.DBIdentity = "db.example:3306/cloud"
	_, err := c.applier(journalDir(t)).Apply(context.Background(), p, fx.ID, true)
	refusedOn(t, err, "db_identity")
}

// journalDir is a journal directory that does not exist yet (t.TempDir is
// 0755, which the journal refuses).
func journalDir(t *testing.T) string { return filepath.Join(t.TempDir(), "journal") }

// A host that is not Up gets a fix only when its BMC, in an IPMI session of
// the same run, reports chassis power off; apply reads the BMC again.
func TestFencedHost(t *testing.T) {
	c := newCloud(t)
	// ipmi_sim keeps 16 bytes of a password: a shorter canary of its own.
	pw := shared.canary.Values[0][:16]
	sim, err := testbed.StartIPMISim(t.TempDir(), testbed.IPMISimOptions{Name: "fenced", User: "admin", Password: pw})
	if err != nil {
		if strings.Contains(err.Error(), testbed.ErrMissing.Error()) {
			testbed.Missing(t, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(sim.Stop)
	c.exec(fmt.Sprintf("UPDATE host SET status = 'Down' WHERE id = %d;\n"+
		"INSERT INTO oobm (host_id, enabled, driver, address, port, username) VALUES (%d, 1, 'ipmitool', '%s', '%d', 'admin')", c.host, c.host, sim.Host, sim.Port))
	fenced, later := c.vm("Stopping", c.host), c.vm("Stopping", c.host)

	// Without sessions the run cannot prove fencing: advice only.
	p, _, _ := c.plan()
	if a := adviceFor(p, fenced); a == nil || fixFor2(p, fenced) != nil || !strings.Contains(a.Why, "fencing is proven") {
		t.Fatalf("advice without ipmi = %+v", a)
	}
	cs := 3
	c.cfg.IPMI = &collectors.IPMIConfig{Enabled: true, Sessions: true, Username: "admin", Password: pw, CipherSuite: &cs}
	p, _, _ = c.plan()
	fx := fixFor(t, p, fenced)
	fx2 := fixFor(t, p, later)
	if !strings.Contains(fx.Preconditions[0].What, "BMC") {
		t.Errorf("preconditions = %+v", fx.Preconditions)
	}
	dir := journalDir(t)
	a := c.applier(dir)
	o, err := a.Apply(context.Background(), p, fx.ID, true)
	if err != nil || !o.Changed {
		t.Fatalf("%+v %v", o, err)
	}
	// The host is powered on again before the second fix: refused.
	if err := sim.SetPower(true); err != nil {
		t.Fatal(err)
	}
	rows := c.rows(later)
	_, err = a.Apply(context.Background(), p, fx2.ID, true)
	refusedOn(t, err, "BMC of host")
	if c.rows(later)[later] != rows[later] {
		t.Error("row changed")
	}
	var out bytes.Buffer
	_ = o.Write(&out)
	checkCanary(t, dir, p, out.String(), err.Error())
	short := &testbed.Canary{Values: []string{pw}}
	short.CheckDir(t, dir)
	b, _ := p.Encode()
	short.Check(t, "plan", b)
	short.Check(t, "refusal", []byte(err.Error()))
}
