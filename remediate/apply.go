package remediate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/csaudit/csaudit/collectors"
)

// Refusal is a fix or undo that csaudit will not run because a precondition
// does not hold (exit status 1). Precondition names it.
type Refusal struct {
	Precondition string
	Detail       string
}

func (r *Refusal) Error() string { return "refused: " + r.Precondition + ": " + r.Detail }

func refuse(pre, format string, a ...any) *Refusal {
	return &Refusal{Precondition: pre, Detail: fmt.Sprintf(format, a...)}
}

// Checked is one precondition as apply found it.
type Checked struct {
	What string `json:"what"`
	Got  string `json:"got"`
}

// Outcome is what apply or undo did.
type Outcome struct {
	DryRun    bool
	Changed   bool
	JournalID string
	// Statement is the compiled-in statement; Display shows it with the
	// values bound to it, as SQL literals.
	Statement string
	Display   string
	Checks    []Checked
	Message   string
}

// Write prints the outcome for a person.
func (o *Outcome) Write(w io.Writer) error {
	var b strings.Builder
	if o.Statement != "" {
		fmt.Fprintf(&b, "statement: %s\n", o.Display)
	}
	for _, c := range o.Checks {
		fmt.Fprintf(&b, "  checked: %s: %s\n", c.What, c.Got)
	}
	if o.Message != "" {
		fmt.Fprintln(&b, o.Message)
	}
	if o.JournalID != "" && o.Changed {
		fmt.Fprintf(&b, "journal: %s\n", o.JournalID)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Applier applies and undoes fixes on one database.
type Applier struct {
	DB      *sql.DB
	Domains DomainReader
	// Power reads a BMC's chassis power; nil when IPMI sessions are not
	// configured, and then a host that is not Up blocks every fix.
	Power   PowerReader
	Journal *Journal
	// StuckMinutes is the configured threshold; a plan cannot lower it.
	StuckMinutes int
	Version      string
	Now          func() time.Time

	// beforeCommit runs after the journal write and before COMMIT (tests
	// use it to stand for a crash there).
	beforeCommit func() error
}

func (a *Applier) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// row is the live state of one vm_instance row.
type row struct {
	uuid, instanceName, typ string
	removed                 bool
	img                     Image
	ageSeconds              *int64
}

const rowQuery = "SELECT uuid, instance_name, type, removed IS NOT NULL, state, host_id, last_host_id, power_state, power_host, " +
	"DATE_FORMAT(power_state_update_time, '%Y-%m-%dT%H:%i:%sZ'), update_count, DATE_FORMAT(update_time, '%Y-%m-%dT%H:%i:%sZ'), " +
	"TIMESTAMPDIFF(SECOND, update_time, UTC_TIMESTAMP()) FROM vm_instance WHERE id = ?"

func readRow(ctx context.Context, q queryer, id int64) (*row, error) {
	var r row
	var uuid, psut, ut, ps sql.NullString
	var host, last, phost, age sql.NullInt64
	err := q.QueryRowContext(ctx, rowQuery, id).Scan(&uuid, &r.instanceName, &r.typ, &r.removed, &r.img.State, &host, &last, &ps, &phost,
		&psut, &r.img.UpdateCount, &ut, &age)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading vm_instance %d: %w", id, err)
	}
	r.uuid = uuid.String
	r.img.HostID, r.img.LastHostID, r.img.PowerHost = ni(host), ni(last), ni(phost)
	r.img.PowerState, r.img.PowerStateUpdateTime, r.img.UpdateTime = ns(ps), ns(psut), ns(ut)
	if age.Valid {
		r.ageSeconds = &age.Int64
	}
	return &r, nil
}

func ni(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

func ns(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// imageDiff names the first guarded column where got differs from want ("" if
// none); withTime adds update_time (undo's guard).
func imageDiff(got, want Image, withTime bool) string {
	pi := func(p *int64) string {
		if p == nil {
			return "NULL"
		}
		return strconv.FormatInt(*p, 10)
	}
	ps := func(p *string) string {
		if p == nil {
			return "NULL"
		}
		return *p
	}
	type col struct{ name, got, want string }
	cols := []col{
		{"state", got.State, want.State},
		{"host_id", pi(got.HostID), pi(want.HostID)},
		{"last_host_id", pi(got.LastHostID), pi(want.LastHostID)},
		{"power_state", ps(got.PowerState), ps(want.PowerState)},
		{"power_host", pi(got.PowerHost), pi(want.PowerHost)},
		{"power_state_update_time", ps(got.PowerStateUpdateTime), ps(want.PowerStateUpdateTime)},
		{"update_count", strconv.FormatInt(got.UpdateCount, 10), strconv.FormatInt(want.UpdateCount, 10)},
	}
	if withTime {
		cols = append(cols, col{"update_time", ps(got.UpdateTime), ps(want.UpdateTime)})
	}
	for _, c := range cols {
		if c.got != c.want {
			return fmt.Sprintf("%s is %s, expected %s", c.name, c.got, c.want)
		}
	}
	return ""
}

// hostRow is the live host a Stopping VM sits on.
type hostRow struct {
	uuid, name, status, resourceState, hypervisor, addr, typ string
	removed                                                  bool
}

func readHost(ctx context.Context, q queryer, id int64) (*hostRow, error) {
	var h hostRow
	var uuid, rs, hv sql.NullString
	err := q.QueryRowContext(ctx, "SELECT uuid, name, status, resource_state, hypervisor_type, private_ip_address, type, removed IS NOT NULL FROM host WHERE id = ?", id).
		Scan(&uuid, &h.name, &h.status, &rs, &hv, &h.addr, &h.typ, &h.removed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading host %d: %w", id, err)
	}
	h.uuid, h.resourceState, h.hypervisor = uuid.String, rs.String, hv.String
	return &h, nil
}

// work names an IN_PROGRESS job or open HA item on the VM ("" if none).
func work(ctx context.Context, q queryer, vmID int64) (string, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT j.id FROM async_job j LEFT JOIN vm_work_job w ON w.id = j.id WHERE j.job_status = 0 "+
		"AND (w.vm_instance_id = ? OR (j.instance_type = 'VirtualMachine' AND j.instance_id = ?)) LIMIT 1", vmID, vmID).Scan(&id)
	switch {
	case err == nil:
		return fmt.Sprintf("async job %d is IN_PROGRESS on the VM", id), nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("reading async_job: %w", err)
	}
	err = q.QueryRowContext(ctx, "SELECT id FROM op_ha_work WHERE instance_id = ? AND COALESCE(step, '') NOT IN ('Done', 'Cancelled', 'Error') LIMIT 1", vmID).Scan(&id)
	switch {
	case err == nil:
		return fmt.Sprintf("HA work item %d is open for the VM", id), nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("reading op_ha_work: %w", err)
	}
	return "", nil
}

// verify re-checks every database precondition of fx against the live rows.
// It returns the VM's host (nil for a fix without one).
// wantUp, when set, is the host status the first read found (Up: libvirt
// was asked; not Up: the BMC was): the re-check inside the transaction
// insists on the same.
func (a *Applier) verify(ctx context.Context, q queryer, k kind, fx *Fix, vmID int64, stuck int, out *[]Checked, wantUp *bool) (*hostRow, error) {
	r, err := readRow(ctx, q, vmID)
	if err != nil {
		return nil, err
	}
	pre := "vm_instance row " + fx.Resource.ID
	if r == nil {
		return nil, refuse(pre, "no such row")
	}
	if r.removed {
		return nil, refuse(pre, "the row is removed")
	}
	if r.uuid != fx.Resource.UUID || r.instanceName != fx.Resource.Name {
		return nil, refuse(pre, "the row is VM %s (%s), not the plan's %s (%s)", r.instanceName, r.uuid, fx.Resource.Name, fx.Resource.UUID)
	}
	if r.typ != "User" {
		return nil, refuse(pre, "type %s: only user VMs are fixed", r.typ)
	}
	if d := imageDiff(r.img, fx.BeforeImage, false); d != "" {
		return nil, refuse(pre, "changed since the plan: %s", d)
	}
	if r.img.State != k.from {
		return nil, refuse(pre, "state %s, the fix is for %s", r.img.State, k.from)
	}
	*out = append(*out, Checked{pre, "unchanged since the plan (state " + r.img.State + ", update_count " + strconv.FormatInt(r.img.UpdateCount, 10) + ")"})
	if r.ageSeconds == nil || *r.ageSeconds < int64(stuck)*60 {
		age := "unknown"
		if r.ageSeconds != nil {
			age = strconv.FormatInt(*r.ageSeconds/60, 10) + " minutes"
		}
		return nil, refuse("vm_instance.update_time", "the VM has been %s for %s, less than the %d-minute threshold", r.img.State, age, stuck)
	}
	*out = append(*out, Checked{"vm_instance.update_time", fmt.Sprintf("%d minutes in %s (threshold %d)", *r.ageSeconds/60, r.img.State, stuck)})
	w, err := work(ctx, q, vmID)
	if err != nil {
		return nil, err
	}
	if w != "" {
		return nil, refuse("async_job / op_ha_work", "%s", w)
	}
	*out = append(*out, Checked{"async_job / vm_work_job / op_ha_work", "no job in progress and no open HA work on the VM"})
	if !k.needsHost {
		if r.img.HostID != nil {
			return nil, refuse("vm_instance.host_id", "is %d, expected NULL", *r.img.HostID)
		}
		*out = append(*out, Checked{"vm_instance.host_id", "NULL (never placed)"})
		return nil, nil
	}
	if r.img.HostID == nil {
		return nil, refuse("vm_instance.host_id", "is NULL: no host to ask")
	}
	h, err := readHost(ctx, q, *r.img.HostID)
	if err != nil {
		return nil, err
	}
	hpre := "host " + strconv.FormatInt(*r.img.HostID, 10)
	switch {
	case h == nil || h.removed:
		return nil, refuse(hpre, "the host row is missing or removed")
	case maintenanceStates[h.resourceState]:
		return nil, refuse(hpre, "host %s is in %s", h.name, h.resourceState)
	case h.typ != "Routing":
		return nil, refuse(hpre, "host %s is of type %s, not a hypervisor host", h.name, h.typ)
	case wantUp != nil && *wantUp != (h.status == "Up"):
		return nil, refuse(hpre, "host %s became %s while it was checked", h.name, h.status)
	case h.status != "Up" && a.Power == nil:
		return nil, refuse(hpre, "host %s is %s, not Up: the VM may still run there, and without an IPMI session (ipmi.sessions) nothing proves the host is fenced", h.name, h.status)
	case h.status == "Up" && h.hypervisor != "KVM":
		return nil, refuse(hpre, "host %s runs %s; only KVM hosts are asked through libvirt", h.name, h.hypervisor)
	}
	*out = append(*out, Checked{hpre, "host " + h.name + " is " + h.status + ", " + h.resourceState + ", " + h.hypervisor})
	return h, nil
}

// bmcTarget is the host as the ipmi collector takes it, with the BMC address
// from the oobm row (never its credentials).
func bmcTarget(ctx context.Context, q queryer, hostID int64, h *hostRow) (collectors.Target, error) {
	t := collectors.Target{ID: strconv.FormatInt(hostID, 10), UUID: h.uuid, Name: h.name, Address: h.addr, Hypervisor: h.hypervisor}
	var addr, port, driver sql.NullString
	err := q.QueryRowContext(ctx, "SELECT address, port, driver FROM oobm WHERE host_id = ?", hostID).Scan(&addr, &port, &driver)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return t, nil // the config's ipmi.addresses may still name it
	case err != nil:
		return t, fmt.Errorf("reading oobm: %w", err)
	}
	if d := strings.ToLower(driver.String); d != "" && d != "ipmitool" {
		return t, fmt.Errorf("the host's out-of-band driver is %s; only IPMI is read", driver.String)
	}
	if addr.String != "" {
		t.BMC = addr.String
		if port.String != "" {
			t.BMC = net.JoinHostPort(strings.Trim(addr.String, "[]"), port.String)
		}
	}
	return t, nil
}

// Apply re-checks and, with yes, applies one fix of the plan.
func (a *Applier) Apply(ctx context.Context, p *Plan, fixID string, yes bool) (*Outcome, error) {
	var fx *Fix
	for i := range p.Fixes {
		if p.Fixes[i].ID == fixID {
			fx = &p.Fixes[i]
		}
	}
	if fx == nil {
		return nil, fmt.Errorf("the plan has no fix %q", fixID)
	}
	o, err := a.apply(ctx, p, fx, yes)
	if yes {
		line := AuditLine{Time: a.now(), Op: "apply", FixID: fx.ID, Resource: fx.Resource, User: currentUser()}
		var rf *Refusal
		switch {
		case err == nil && o.Changed:
			line.Result, line.JournalID = "applied", o.JournalID
		case errors.As(err, &rf):
			line.Result, line.Reason = "refused", rf.Error()
		case err != nil:
			line.Result, line.Reason = "error", err.Error()
			if o != nil {
				line.JournalID = o.JournalID
			}
		}
		if aerr := a.Journal.Audit(line); aerr != nil && err == nil {
			o.Message += fmt.Sprintf("\nwarning: audit log not written: %v", aerr)
		}
	}
	return o, err
}

func (a *Applier) apply(ctx context.Context, p *Plan, fx *Fix, yes bool) (*Outcome, error) {
	k, ok := kinds[fx.Type]
	if !ok {
		return nil, refuse("fix type", "%q is not a fix type this csaudit knows", fx.Type)
	}
	if FixID(fx.Type, fx.Resource, fx.BeforeImage) != fx.ID {
		return nil, refuse("plan integrity", "fix %s does not match its type, resource and before-image (the plan was edited)", fx.ID)
	}
	vmID, err := strconv.ParseInt(fx.Resource.ID, 10, 64)
	if err != nil || fx.Resource.Type != "vm" {
		return nil, refuse("plan integrity", "resource %s %q is not a VM id", fx.Resource.Type, fx.Resource.ID)
	}
	stuck := max(a.StuckMinutes, p.StuckMinutes)
	if stuck <= 0 {
		stuck = DefaultStuckMinutes
	}
	stmt, _ := Statement(k.name)
	args := guardArgs(vmID, fx.BeforeImage)
	o := &Outcome{DryRun: !yes, Statement: stmt, Display: displaySQL(stmt, args)}

	id, err := Identity(ctx, a.DB)
	if err != nil {
		return o, err
	}
	if id != p.DBIdentity {
		return o, refuse("db_identity", "the plan is for %s, connected to %s", p.DBIdentity, id)
	}
	o.Checks = append(o.Checks, Checked{"db_identity", id})

	// A first read of the rows spares the hypervisor a visit when the row
	// already tells the fix is off; no transaction is open during SSH.
	var pre []Checked
	h, err := a.verify(ctx, a.DB, k, fx, vmID, stuck, &pre, nil)
	if err != nil {
		o.Checks = append(o.Checks, pre...)
		return o, err
	}
	var up *bool
	if h != nil {
		u := h.status == "Up"
		up = &u
	}
	if h != nil && !*up {
		what := "BMC of host " + h.name
		t, err := bmcTarget(ctx, a.DB, *fx.BeforeImage.HostID, h)
		if err != nil {
			return o, refuse(what, "%v", err)
		}
		power, err := a.Power.Power(ctx, t)
		if err != nil {
			return o, refuse(what, "chassis power could not be read, so nothing proves the host is fenced: %v", err)
		}
		if power != "off" {
			return o, refuse(what, "chassis power is %s: the host is not fenced", power)
		}
		o.Checks = append(o.Checks, Checked{what, "chassis power off (IPMI session): the host is fenced"})
	}
	if h != nil && *up {
		what := "libvirt on host " + h.name
		t := collectors.Target{ID: strconv.FormatInt(*fx.BeforeImage.HostID, 10), UUID: h.uuid, Name: h.name, Address: h.addr, Hypervisor: h.hypervisor}
		if a.Domains == nil {
			return o, refuse(what, "no way to reach libvirt (the config has no ssh section)")
		}
		doms, err := a.Domains.Domains(ctx, t)
		if err != nil {
			return o, refuse(what, "could not be read, so nothing proves the VM is gone: %v", err)
		}
		if d := findDomain(doms, fx.Resource.Name, fx.Resource.UUID); d != nil {
			return o, refuse(what, "domain %s (uuid %s) exists, state %s", d.Name, d.UUID, d.State)
		}
		o.Checks = append(o.Checks, Checked{what, fmt.Sprintf("no domain named %s or with uuid %s among %d", fx.Resource.Name, fx.Resource.UUID, len(doms))})
	}
	if !yes {
		o.Checks = append(o.Checks, pre...)
		o.Message = "dry run: nothing was changed. At apply time the row, the host and the jobs are checked again inside one short transaction; add --yes to apply."
		return o, nil
	}
	return a.commit(ctx, o, p, fx, k, vmID, stuck, stmt, args, up)
}

// session opens a connection with short lock and statement limits.
func session(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	for _, q := range []string{"SET SESSION innodb_lock_wait_timeout = 5", "SET SESSION lock_wait_timeout = 5"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("database: %s: %w", q, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION max_statement_time = 10"); err != nil {
		if _, err2 := conn.ExecContext(ctx, "SET SESSION max_execution_time = 10000"); err2 != nil {
			conn.Close()
			return nil, fmt.Errorf("database: cannot set a statement time limit: %v; %v", err, err2)
		}
	}
	return conn, nil
}

func (a *Applier) commit(ctx context.Context, o *Outcome, p *Plan, fx *Fix, k kind, vmID int64, stuck int, stmt string, args []any, up *bool) (*Outcome, error) {
	conn, err := session(ctx, a.DB)
	if err != nil {
		return o, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return o, fmt.Errorf("database: begin: %w", err)
	}
	defer tx.Rollback() // a no-op once committed
	var checks []Checked
	if _, err := a.verify(ctx, tx, k, fx, vmID, stuck, &checks, up); err != nil {
		o.Checks = append(o.Checks, checks...)
		return o, err
	}
	o.Checks = append(o.Checks, checks...)
	res, err := tx.ExecContext(ctx, stmt, args...)
	if err != nil {
		return o, fmt.Errorf("update vm_instance %d: %w", vmID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return o, err
	}
	if n != 1 {
		return o, refuse("vm_instance row "+fx.Resource.ID, "%d rows matched the guarded update (another writer changed the row); rolled back", n)
	}
	after, err := readRow(ctx, tx, vmID)
	if err != nil || after == nil {
		return o, fmt.Errorf("reading back vm_instance %d: %v", vmID, err)
	}
	e := Entry{ID: newEntryID(a.now()), Op: "apply", Time: a.now(), FixID: fx.ID, Type: fx.Type, Resource: fx.Resource, DBIdentity: p.DBIdentity,
		Statement: stmt, Before: fx.BeforeImage, After: after.img, User: currentUser(), Version: a.Version}
	if err := a.Journal.Append(e); err != nil {
		return o, fmt.Errorf("journal not written, rolled back: %w", err)
	}
	o.JournalID = e.ID
	if a.beforeCommit != nil {
		if err := a.beforeCommit(); err != nil {
			return o, err
		}
	}
	if err := tx.Commit(); err != nil {
		return o, fmt.Errorf("COMMIT failed after journal entry %s was written; `csaudit fix undo %s` tells whether the change landed: %w", e.ID, e.ID, err)
	}
	o.Changed = true
	o.Message = fmt.Sprintf("applied %s to %s (%s): 1 row changed", fx.Type, fx.Resource.Name, fx.Resource.UUID)
	return o, nil
}

// Undo reverses the apply of a journal entry while the row is exactly as
// that apply left it.
func (a *Applier) Undo(ctx context.Context, journalID string) (*Outcome, error) {
	entries, err := a.Journal.Entries()
	if err != nil {
		return nil, err
	}
	var e *Entry
	var undone string
	for i := range entries {
		switch {
		case entries[i].ID == journalID && entries[i].Op == "apply":
			e = &entries[i]
		case entries[i].Op == "undo" && entries[i].Undoes == journalID:
			undone = entries[i].ID
		}
	}
	if e == nil {
		return nil, fmt.Errorf("journal %s has no apply entry %q", a.Journal.Dir, journalID)
	}
	o, err := a.undo(ctx, e, undone)
	line := AuditLine{Time: a.now(), Op: "undo", FixID: e.FixID, JournalID: journalID, Resource: e.Resource, User: currentUser()}
	var rf *Refusal
	switch {
	case err == nil && o.Changed:
		line.Result = "undone"
	case err == nil:
		line.Result, line.Reason = "nothing-to-do", o.Message
	case errors.As(err, &rf):
		line.Result, line.Reason = "refused", rf.Error()
	default:
		line.Result, line.Reason = "error", err.Error()
	}
	if aerr := a.Journal.Audit(line); aerr != nil && err == nil {
		o.Message += fmt.Sprintf("\nwarning: audit log not written: %v", aerr)
	}
	return o, err
}

func (a *Applier) undo(ctx context.Context, e *Entry, undone string) (*Outcome, error) {
	o := &Outcome{Statement: undoStatement}
	if undone != "" {
		o.Statement = ""
		o.Message = fmt.Sprintf("journal entry %s was already undone by %s: nothing changed", e.ID, undone)
		return o, nil
	}
	k, ok := kinds[e.Type]
	vmID, err := strconv.ParseInt(e.Resource.ID, 10, 64)
	if !ok || err != nil || e.Before.State != k.from {
		return nil, refuse("journal entry", "%s is not an apply of a known fix type", e.ID)
	}
	id, err := Identity(ctx, a.DB)
	if err != nil {
		return nil, err
	}
	if id != e.DBIdentity {
		return nil, refuse("db_identity", "journal entry %s is for %s, connected to %s", e.ID, e.DBIdentity, id)
	}
	b, af := e.Before, e.After
	args := []any{b.State, nullInt(b.HostID), nullStr(b.PowerState), sqlTime(b.PowerStateUpdateTime)}
	args = append(args, guardArgs(vmID, af)...)
	args = append(args, sqlTime(af.UpdateTime))
	o.Display = displaySQL(undoStatement, args)

	conn, err := session(ctx, a.DB)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("database: begin: %w", err)
	}
	defer tx.Rollback()
	r, err := readRow(ctx, tx, vmID)
	if err != nil {
		return nil, err
	}
	pre := "vm_instance row " + e.Resource.ID
	if r == nil || r.removed {
		return nil, refuse(pre, "missing or removed")
	}
	if d := imageDiff(r.img, af, true); d != "" {
		if imageDiff(r.img, b, false) == "" {
			o.Statement, o.Display = "", ""
			o.Message = fmt.Sprintf("the fix of journal entry %s never committed (the row still holds its before-image): nothing to undo, nothing changed", e.ID)
			return o, nil
		}
		return nil, refuse(pre, "changed since the fix (%s); not restored", d)
	}
	o.Checks = append(o.Checks, Checked{pre, "exactly as the fix left it"})
	res, err := tx.ExecContext(ctx, undoStatement, args...)
	if err != nil {
		return nil, fmt.Errorf("undo vm_instance %d: %w", vmID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, refuse(pre, "the guarded restore matched %d rows (another writer changed the row); rolled back", n)
	}
	after, err := readRow(ctx, tx, vmID)
	if err != nil || after == nil {
		return nil, fmt.Errorf("reading back vm_instance %d: %v", vmID, err)
	}
	u := Entry{ID: newEntryID(a.now()), Op: "undo", Time: a.now(), FixID: e.FixID, Type: e.Type, Resource: e.Resource, DBIdentity: e.DBIdentity,
		Statement: undoStatement, Before: r.img, After: after.img, Undoes: e.ID, User: currentUser(), Version: a.Version}
	if err := a.Journal.Append(u); err != nil {
		return nil, fmt.Errorf("journal not written, rolled back: %w", err)
	}
	o.JournalID = u.ID
	if err := tx.Commit(); err != nil {
		return o, fmt.Errorf("COMMIT failed after journal entry %s was written: %w", u.ID, err)
	}
	o.Changed = true
	o.Message = fmt.Sprintf("undid journal entry %s: %s (%s) is %s again", e.ID, e.Resource.Name, e.Resource.UUID, b.State)
	return o, nil
}
