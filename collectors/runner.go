package collectors

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Collector names, in the order the stages run them. --collectors accepts only these.
const (
	NameDatabase = "database"
	NameLocal    = "local"
	NameHosts    = "hosts"
	NameLibvirt  = "libvirt"
	NameIPMI     = "ipmi"
)

// Names lists every collector name csaudit knows.
var Names = []string{NameDatabase, NameLocal, NameHosts, NameLibvirt, NameIPMI}

// Stage of a collector: the inventory runs first and names the targets.
const (
	StageInventory = 1
	StageTargets   = 2
)

// Collector is one source of facts. It returns its own part and never touches
// another collector's state; the runner merges parts.
type Collector interface {
	Name() string
	Stage() int
	Collect(ctx context.Context, inv *Inventory) (*Part, error)
}

// Part is what one collector contributes to the snapshot.
type Part struct {
	DB       map[string]Table
	Settings map[string]Setting
	Hosts    map[string]*HostFacts
	OOBM     map[string]*BMCFacts
	Local    *LocalFacts
	Coverage map[string]*Coverage
	Errors   []CollectorError
	DBNow    *time.Time
	Database *DBIdentity
}

// EarlyInventory is a stage 1 collector that can hand stage 2 its inventory
// before it has finished: early is called at most once, from the
// collector's goroutine, with a part holding InventoryTables (those read so
// far; none is changed afterwards), the database clock and its offset. The
// part Collect returns still holds everything.
type EarlyInventory interface {
	CollectEarly(ctx context.Context, inv *Inventory, early func(*Part)) (*Part, error)
}

// InventoryTables are the tables stage 2 reads from the inventory (the
// targets, the BMCs) and --zone filters them by.
var InventoryTables = []string{"data_center", "host", "oobm"}

// Target is a hypervisor host to visit in stage 2.
type Target struct {
	ID         string `yaml:"id" json:"id"`
	UUID       string `yaml:"uuid" json:"uuid"`
	Name       string `yaml:"name" json:"name"`
	Address    string `yaml:"address" json:"address"`
	Hypervisor string `yaml:"hypervisor" json:"hypervisor"`
	ClusterID  string `yaml:"cluster_id" json:"cluster_id"`
	BMC        string `yaml:"bmc" json:"bmc,omitempty"`
}

// Inventory is what stage 2 collectors get: the targets, the database clock and a
// read-only view of the stage 1 tables.
type Inventory struct {
	Selected map[string]bool
	DBNow    *time.Time
	// Database is the stage 1 database identity, with its clock offset.
	Database *DBIdentity
	Hosts    []Target
	DB       map[string]Table
	Settings map[string]Setting
}

// Runner runs the selected collectors in two stages and merges their parts.
type Runner struct {
	Collectors []Collector
	// Selected names the collectors to run; a selected name without a
	// collector is recorded as a collector error.
	Selected map[string]bool
	// Timeout bounds each collector; zero means DefaultCollectorTimeout.
	Timeout map[string]time.Duration
	// Targets come from the config when the database collector does not run.
	Targets []Target
	Tool    Tool
	Now     func() time.Time
	// Zones, by name or uuid, restrict the run to those zones: the
	// database's rows (FilterZones), and so the hosts every target
	// collector visits. They need the database collector.
	Zones []string
	// Inventoried, when set, is called once stage 1's parts are merged and
	// the zones applied, while stage 2 may still run: the snapshot's tables
	// do not change afterwards (stage 2 adds host facts, never tables), so
	// work on them can start.
	Inventoried func(db map[string]Table)
}

// ParseSelection validates a comma list of collector names.
func ParseSelection(list string) (map[string]bool, error) {
	sel := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !slices.Contains(Names, n) {
			return nil, fmt.Errorf("unknown collector %q (known: %s)", n, strings.Join(Names, ", "))
		}
		sel[n] = true
	}
	if len(sel) == 0 {
		return nil, errors.New("no collector named")
	}
	return sel, nil
}

// Run collects a snapshot. It fails only when the context is cancelled before
// anything was collected; collector failures are recorded inside the snapshot.
func (r *Runner) Run(ctx context.Context) (*Snapshot, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	snap := NewSnapshot(r.Tool, now())
	byName := map[string]Collector{}
	for _, c := range r.Collectors {
		byName[c.Name()] = c
	}
	for _, n := range Names {
		snap.Meta.Collectors[n] = CollectorRun{Selected: r.Selected[n]}
		if r.Selected[n] && byName[n] == nil {
			snap.CollectorErrors = append(snap.CollectorErrors, CollectorError{Collector: n, Target: n, Error: "selected but not available in this build"})
		}
	}
	inv := &Inventory{Selected: maps.Clone(r.Selected)}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// With the database collector and a stage 2 collector selected, stage 2
	// starts as soon as the database collector has read the tables its
	// targets come from (EarlyInventory), while it reads on: the hosts'
	// round trips and the database's rows overlap. The snapshot is the one
	// the stages would make one after the other: stage 1's parts are merged
	// first, in name order, then stage 2's.
	var early chan *Part
	var earlyFn func(*Part)
	if _, ok := byName[NameDatabase].(EarlyInventory); ok && r.Selected[NameDatabase] && r.anySelected(byName, StageTargets) {
		early = make(chan *Part, 1)
		var once sync.Once
		earlyFn = func(p *Part) { once.Do(func() { early <- p }) }
	}
	wait1 := r.startStage(ctx, StageInventory, byName, inv, earlyFn)
	var got1 []result
	var wait2 func() []result
	if early != nil {
		done1 := make(chan []result, 1)
		go func() { done1 <- wait1() }()
		select {
		case p := <-early:
			if inv2 := r.earlyInventory(p); inv2 != nil {
				wait2 = r.startStage(ctx, StageTargets, byName, inv2, nil)
			}
			got1 = <-done1
		case got1 = <-done1:
		}
	} else {
		got1 = wait1()
	}
	r.mergeStage(StageInventory, got1, snap)
	fail := func(err error) (*Snapshot, error) {
		if wait2 != nil {
			wait2() // started early: its collectors see the cancelled context
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if len(r.Zones) > 0 {
		if err := FilterZones(snap, r.Zones); err != nil {
			return fail(err)
		}
	}
	if r.Inventoried != nil {
		r.Inventoried(snap.DB)
	}
	if wait2 == nil {
		inv.DBNow = snap.Meta.DBNow
		inv.Database = snap.Meta.Database
		inv.DB = snap.DB
		inv.Settings = snap.Settings
		if r.Selected[NameDatabase] && snap.DB["host"] != nil {
			inv.Hosts = TargetsFromDB(snap.DB)
		} else {
			inv.Hosts = slices.Clone(r.Targets)
		}
		wait2 = r.startStage(ctx, StageTargets, byName, inv, nil)
	}
	r.mergeStage(StageTargets, wait2(), snap)
	sort.SliceStable(snap.CollectorErrors, func(i, j int) bool {
		a, b := snap.CollectorErrors[i], snap.CollectorErrors[j]
		if a.Collector != b.Collector {
			return a.Collector < b.Collector
		}
		return a.Target < b.Target
	})
	return snap, nil
}

type result struct {
	name string
	part *Part
	err  error
	dur  time.Duration
}

// anySelected reports a selected collector of the stage.
func (r *Runner) anySelected(byName map[string]Collector, stage int) bool {
	for n, c := range byName {
		if c.Stage() == stage && r.Selected[n] {
			return true
		}
	}
	return false
}

// earlyInventory is stage 2's inventory from the tables an EarlyInventory
// collector handed over (copies: --zone filters the snapshot's own tables
// later), or nil when they cannot name the targets (then stage 2 waits for
// stage 1, as without it).
func (r *Runner) earlyInventory(p *Part) *Inventory {
	if p == nil || p.DB["host"] == nil {
		return nil
	}
	tmp := &Snapshot{DB: map[string]Table{}}
	for _, name := range InventoryTables {
		if t, ok := p.DB[name]; ok {
			tmp.DB[name] = maps.Clone(t)
		}
	}
	if len(r.Zones) > 0 && FilterZones(tmp, r.Zones) != nil {
		return nil // the error is reported once stage 1 has finished
	}
	return &Inventory{Selected: maps.Clone(r.Selected), DBNow: p.DBNow, Database: p.Database, DB: tmp.DB, Hosts: TargetsFromDB(tmp.DB)}
}

// startStage starts the stage's selected collectors; wait returns their
// results in name order. early, when set, is handed to an EarlyInventory
// collector.
func (r *Runner) startStage(ctx context.Context, stage int, byName map[string]Collector, inv *Inventory, early func(*Part)) (wait func() []result) {
	var wg sync.WaitGroup
	results := make(chan result, len(byName))
	for _, n := range Names {
		c := byName[n]
		if c == nil || c.Stage() != stage || !r.Selected[n] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- r.runOne(ctx, c, inv, early)
		}()
	}
	return func() []result {
		wg.Wait()
		close(results)
		var got []result
		for res := range results {
			got = append(got, res)
		}
		// Merged in name order so the snapshot does not depend on goroutine timing.
		sort.Slice(got, func(i, j int) bool { return got[i].name < got[j].name })
		return got
	}
}

func (r *Runner) mergeStage(stage int, got []result, snap *Snapshot) {
	for _, res := range got {
		run := CollectorRun{Selected: true, Stage: stage, DurationMS: float64(res.dur.Microseconds()) / 1000, OK: res.err == nil}
		if res.err != nil {
			run.Error = res.err.Error()
			snap.CollectorErrors = append(snap.CollectorErrors, CollectorError{Collector: res.name, Target: res.name, Error: res.err.Error()})
		}
		snap.Meta.Collectors[res.name] = run
		Merge(snap, res.part)
	}
}

func (r *Runner) runOne(ctx context.Context, c Collector, inv *Inventory, early func(*Part)) (res result) {
	res.name = c.Name()
	timeout := r.Timeout[c.Name()]
	if timeout <= 0 {
		timeout = DefaultCollectorTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	defer func() {
		res.dur = time.Since(start)
		if p := recover(); p != nil {
			// A collector bug must not stop the audit; the part is discarded.
			res.part, res.err = nil, fmt.Errorf("collector panicked: %v", p)
		}
	}()
	if e, ok := c.(EarlyInventory); ok && early != nil {
		res.part, res.err = e.CollectEarly(cctx, inv, early)
	} else {
		res.part, res.err = c.Collect(cctx, inv)
	}
	if res.err == nil && cctx.Err() != nil {
		res.err = fmt.Errorf("timed out after %s", timeout)
	}
	return res
}

// Merge adds a part to a snapshot. Tables and host facts from different
// collectors never overlap; coverage for the same fact is united.
func Merge(s *Snapshot, p *Part) {
	if p == nil {
		return
	}
	for name, t := range p.DB {
		if s.DB[name] == nil {
			s.DB[name] = t // the part is handed over: a 100,000-row table is not copied
			continue
		}
		maps.Copy(s.DB[name], t)
	}
	maps.Copy(s.Settings, p.Settings)
	for id, h := range p.Hosts {
		if old := s.Hosts[id]; old != nil {
			mergeHost(old, h)
			continue
		}
		s.Hosts[id] = h
	}
	maps.Copy(s.OOBM, p.OOBM)
	if p.Local != nil {
		s.Local = p.Local
	}
	for fact, c := range p.Coverage {
		old := s.Coverage[fact]
		if old == nil {
			s.Coverage[fact] = c
			continue
		}
		old.Selected = old.Selected || c.Selected
		old.Collected = append(old.Collected, c.Collected...)
		for k, v := range c.Failed {
			if old.Failed == nil {
				old.Failed = map[string]string{}
			}
			old.Failed[k] = v
		}
		old.Notes = append(old.Notes, c.Notes...)
	}
	for _, c := range s.Coverage {
		sort.Strings(c.Collected)
		c.Collected = slices.Compact(c.Collected)
	}
	s.CollectorErrors = append(s.CollectorErrors, p.Errors...)
	if p.DBNow != nil {
		s.Meta.DBNow = p.DBNow
	}
	if p.Database != nil {
		s.Meta.Database = p.Database
	}
}

// mergeHost fills the facts dst lacks from src: the hosts and libvirt
// collectors send different facts of the same host. Every pointer field of
// HostFacts is a fact, so a new fact needs nothing here.
func mergeHost(dst, src *HostFacts) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := range d.NumField() {
		if f := d.Field(i); f.Kind() == reflect.Pointer && f.IsNil() {
			f.Set(s.Field(i))
		}
	}
}

// TargetsFromDB lists the live hypervisor hosts (type Routing) of the host table.
func TargetsFromDB(db map[string]Table) []Target {
	var out []Target
	for id, h := range db["host"] {
		if h.Get("type") != "Routing" || h.Get("removed") != nil {
			continue
		}
		out = append(out, Target{
			ID:         id,
			UUID:       h.Text("uuid"),
			Name:       h.Text("name"),
			Address:    h.Text("private_ip_address"),
			Hypervisor: h.Text("hypervisor_type"),
			ClusterID:  h.Text("cluster_id"),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
	})
	return out
}
