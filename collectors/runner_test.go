package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fake is an in-process collector for runner tests.
type fake struct {
	name  string
	stage int
	fn    func(ctx context.Context, inv *Inventory) (*Part, error)
}

func (f *fake) Name() string { return f.name }
func (f *fake) Stage() int   { return f.stage }
func (f *fake) Collect(ctx context.Context, inv *Inventory) (*Part, error) {
	return f.fn(ctx, inv)
}

func dbPart() *Part {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	return &Part{
		DB: map[string]Table{"host": {
			"1": RowOf(map[string]any{"uuid": "u1", "name": "kvm-1", "type": "Routing", "private_ip_address": "10.0.0.1", "hypervisor_type": "KVM", "cluster_id": 3, "removed": nil}),
			"2": RowOf(map[string]any{"uuid": "u2", "name": "s-1-VM", "type": "SecondaryStorageVM", "removed": nil}),
			"3": RowOf(map[string]any{"uuid": "u3", "name": "gone", "type": "Routing", "removed": "2026-01-01T00:00:00Z"}),
		}},
		DBNow:    &now,
		Coverage: map[string]*Coverage{"db.host": {Collector: NameDatabase, Selected: true, Collected: []string{"host"}}},
	}
}

func TestRunnerStagesAndMerge(t *testing.T) {
	var sawTargets []Target
	var sawNow *time.Time
	r := &Runner{
		Collectors: []Collector{
			&fake{NameHosts, StageTargets, func(_ context.Context, inv *Inventory) (*Part, error) {
				sawTargets, sawNow = inv.Hosts, inv.DBNow
				return &Part{
					Hosts:    map[string]*HostFacts{"u1": {Name: "kvm-1", Agent: &AgentFact{State: "active"}}},
					Coverage: map[string]*Coverage{"hosts.agent": {Collector: NameHosts, Selected: true, Collected: []string{"u1"}}},
				}, nil
			}},
			&fake{NameDatabase, StageInventory, func(context.Context, *Inventory) (*Part, error) { return dbPart(), nil }},
			&fake{NameLibvirt, StageTargets, func(context.Context, *Inventory) (*Part, error) {
				return &Part{Hosts: map[string]*HostFacts{"u1": {Domains: &DomainsFact{Domains: []Domain{{Name: "i-2-10-VM"}}}}}}, nil
			}},
		},
		Selected: map[string]bool{NameDatabase: true, NameHosts: true, NameLibvirt: true},
		Tool:     Tool{Name: "csaudit", Version: "t"},
	}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sawTargets) != 1 || sawTargets[0].UUID != "u1" || sawTargets[0].Address != "10.0.0.1" || sawTargets[0].ClusterID != "3" {
		t.Errorf("stage 2 targets = %+v, want only the live Routing host from stage 1", sawTargets)
	}
	if sawNow == nil || s.Meta.DBNow == nil || !sawNow.Equal(*s.Meta.DBNow) {
		t.Errorf("stage 2 did not see db_now")
	}
	h := s.Hosts["u1"]
	if h == nil || h.Agent == nil || h.Domains == nil {
		t.Fatalf("host facts from hosts and libvirt not merged: %+v", h)
	}
	for _, n := range []string{NameDatabase, NameHosts, NameLibvirt} {
		run := s.Meta.Collectors[n]
		if !run.Selected || !run.OK || run.DurationMS < 0 {
			t.Errorf("%s run = %+v", n, run)
		}
	}
	if s.Meta.Collectors[NameIPMI].Selected {
		t.Error("ipmi recorded as selected")
	}
	if len(s.CollectorErrors) != 0 {
		t.Errorf("errors: %+v", s.CollectorErrors)
	}
}

func TestRunnerIsolatesFailures(t *testing.T) {
	var ran atomic.Int32
	r := &Runner{
		Collectors: []Collector{
			&fake{NameDatabase, StageInventory, func(context.Context, *Inventory) (*Part, error) {
				ran.Add(1)
				return nil, errors.New("connection refused")
			}},
			&fake{NameLocal, StageInventory, func(context.Context, *Inventory) (*Part, error) {
				ran.Add(1)
				panic("bug")
			}},
			&fake{NameHosts, StageTargets, func(ctx context.Context, _ *Inventory) (*Part, error) {
				ran.Add(1)
				<-ctx.Done() // hangs until its timeout
				return &Part{Hosts: map[string]*HostFacts{"x": {}}}, nil
			}},
			&fake{NameIPMI, StageTargets, func(_ context.Context, inv *Inventory) (*Part, error) {
				ran.Add(1)
				if len(inv.Hosts) != 1 || inv.Hosts[0].Name != "from-config" {
					return nil, errors.New("config inventory not used")
				}
				return &Part{OOBM: map[string]*BMCFacts{"x": {Address: "10.9.0.1"}}}, nil
			}},
		},
		Selected: map[string]bool{NameDatabase: true, NameLocal: true, NameHosts: true, NameIPMI: true, NameLibvirt: true},
		Timeout:  map[string]time.Duration{NameHosts: 50 * time.Millisecond},
		Targets:  []Target{{Name: "from-config", Address: "10.0.0.9"}},
	}
	start := time.Now()
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %s despite a 50 ms collector timeout", d)
	}
	if ran.Load() != 4 {
		t.Errorf("%d collectors ran, want 4", ran.Load())
	}
	errs := map[string]string{}
	for _, e := range s.CollectorErrors {
		errs[e.Collector] = e.Error
	}
	for name, want := range map[string]string{
		NameDatabase: "connection refused", NameLocal: "panicked", NameHosts: "timed out", NameLibvirt: "not available",
	} {
		if !strings.Contains(errs[name], want) {
			t.Errorf("%s error %q, want it to contain %q", name, errs[name], want)
		}
	}
	if s.OOBM["x"] == nil {
		t.Error("a failing collector stopped another one's part")
	}
	// A collector that returns after its deadline still owns what it returns
	// (it records per-target failures itself); the runner records the timeout.
	if run := s.Meta.Collectors[NameHosts]; run.OK || !strings.Contains(run.Error, "timed out") {
		t.Errorf("hosts run = %+v, want a recorded timeout", run)
	}
	if s.Meta.Collectors[NameDatabase].OK {
		t.Error("failed database recorded OK")
	}
}

func TestParseSelection(t *testing.T) {
	sel, err := ParseSelection(" database, hosts ")
	if err != nil || !sel[NameDatabase] || !sel[NameHosts] || len(sel) != 2 {
		t.Errorf("got %v, %v", sel, err)
	}
	if _, err := ParseSelection("database,dns"); err == nil || !strings.Contains(err.Error(), `"dns"`) {
		t.Errorf("unknown collector: %v", err)
	}
	if _, err := ParseSelection(","); err == nil {
		t.Error("empty selection accepted")
	}
}

func TestConfigEnableRules(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
database:
  db_properties: /etc/cloudstack/management/db.properties
ssh:
  user: root
ipmi:
  enabled: false
local:
  root: /
timeouts:
  hosts: 2m
`))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.EnabledCollectors()
	want := map[string]bool{NameDatabase: true, NameHosts: true, NameLibvirt: true, NameLocal: true}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s not enabled", k)
		}
	}
	if cfg.CollectorTimeouts()[NameHosts] != 2*time.Minute {
		t.Errorf("timeouts = %v", cfg.CollectorTimeouts())
	}
	for _, bad := range []string{"database: {}\n", "timeouts:\n  dns: 1s\n", "ssh:\n  connect_timeout: soon\n", "bogus: 1\n"} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestDecodeSnapshotEnvelope(t *testing.T) {
	for in, want := range map[string]string{
		`{"schema":"csaudit.snapshot/v2"}`: "not supported",
		`{"meta":{}}`:                      "not a csaudit snapshot",
		`[`:                                "not a JSON snapshot",
	} {
		if _, err := DecodeSnapshot([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	// A snapshot without meta, coverage and the rest cannot be evaluated:
	// checks would read an empty cloud and pass.
	if _, err := DecodeSnapshot([]byte(`{"schema":"csaudit.snapshot/v1"}`)); err == nil || !strings.Contains(err.Error(), "missing properties 'meta'") {
		t.Errorf("schema only: %v", err)
	}
	good, err := NewSnapshot(Tool{Name: "csaudit"}, time.Unix(0, 0)).Encode()
	if err != nil {
		t.Fatal(err)
	}
	s, err := DecodeSnapshot(good)
	if err != nil || s.DB == nil || s.Coverage == nil || s.Meta.Collectors == nil {
		t.Fatalf("empty snapshot: %v %+v", err, s)
	}
	for name, edit := range map[string]func(m map[string]any){
		"coverage is a list":    func(m map[string]any) { m["coverage"] = []any{} },
		"no coverage":           func(m map[string]any) { delete(m, "coverage") },
		"collected_at a number": func(m map[string]any) { m["meta"].(map[string]any)["collected_at"] = 5 },
		"state a number": func(m map[string]any) {
			m["db"] = map[string]any{"vm_instance": map[string]any{"1": map[string]any{"state": 3}}}
		},
		"a cell holds an object": func(m map[string]any) {
			m["db"] = map[string]any{"host": map[string]any{"1": map[string]any{"x": map[string]any{}}}}
		},
	} {
		var m map[string]any
		json.Unmarshal(good, &m)
		edit(m)
		b, _ := json.Marshal(m)
		if _, err := DecodeSnapshot(b); err == nil || !strings.Contains(err.Error(), "malformed snapshot") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestReadLimited(t *testing.T) {
	if _, err := ReadLimited(strings.NewReader(strings.Repeat("x", 101)), 100); err == nil {
		t.Error("oversized input accepted")
	}
	s := NewSnapshot(Tool{Name: "csaudit"}, time.Unix(0, 0))
	b, _ := s.Encode()
	path := t.TempDir() + "/s.json.gz"
	if err := WriteFileAtomic(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, raw, err := LoadSnapshot(path)
	if err != nil || got.Schema != SchemaVersion || string(raw) != string(b) {
		t.Fatalf("gzip round trip: %v", err)
	}
}

// earlyFake is a database collector that hands its inventory over early.
type earlyFake struct {
	fake
	early func(ctx context.Context, early func(*Part)) (*Part, error)
}

func (f *earlyFake) CollectEarly(ctx context.Context, _ *Inventory, early func(*Part)) (*Part, error) {
	return f.early(ctx, early)
}

// TestRunnerStartsStage2Early: with an EarlyInventory database collector,
// the hosts are visited while it reads on (stage 2 has finished before
// stage 1 does), --zone still applies to what stage 2 sees, and the
// snapshot is the one the stages make one after the other.
func TestRunnerStartsStage2Early(t *testing.T) {
	part := func() *Part {
		p := dbPart()
		p.DB["data_center"] = Table{"1": RowOf(map[string]any{"uuid": "z1", "name": "zone1", "removed": nil})}
		p.DB["host"]["1"] = RowOf(map[string]any{"uuid": "u1", "name": "kvm-1", "type": "Routing", "private_ip_address": "10.0.0.1", "hypervisor_type": "KVM", "cluster_id": 3, "data_center_id": 1, "removed": nil})
		p.DB["host"]["4"] = RowOf(map[string]any{"uuid": "u4", "name": "kvm-4", "type": "Routing", "private_ip_address": "10.0.0.4", "hypervisor_type": "KVM", "data_center_id": 2, "removed": nil})
		p.DB["vm_instance"] = Table{"9": RowOf(map[string]any{"id": int64(9), "data_center_id": 1})}
		return p
	}
	run := func(withEarly bool, zones []string) (*Snapshot, []Target, bool) {
		var saw []Target
		stage2Done := make(chan struct{})
		var overlapped atomic.Bool
		db := &earlyFake{fake: fake{NameDatabase, StageInventory, func(context.Context, *Inventory) (*Part, error) { return part(), nil }}}
		db.early = func(ctx context.Context, early func(*Part)) (*Part, error) {
			p := part()
			early(&Part{DB: map[string]Table{"data_center": p.DB["data_center"], "host": p.DB["host"]}, DBNow: p.DBNow})
			select { // the rest of the database "is read" until the hosts are done
			case <-stage2Done:
				overlapped.Store(true)
			case <-time.After(2 * time.Second):
			}
			return p, nil
		}
		var cs []Collector = []Collector{&db.fake}
		if withEarly {
			cs = []Collector{db}
		}
		cs = append(cs, &fake{NameHosts, StageTargets, func(_ context.Context, inv *Inventory) (*Part, error) {
			saw = inv.Hosts
			defer close(stage2Done)
			return &Part{Hosts: map[string]*HostFacts{"u1": {Name: "kvm-1"}}}, nil
		}})
		r := &Runner{Collectors: cs, Selected: map[string]bool{NameDatabase: true, NameHosts: true}, Tool: Tool{Name: "csaudit", Version: "t"},
			Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }, Zones: zones}
		s, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for n, c := range s.Meta.Collectors {
			c.DurationMS = 0
			s.Meta.Collectors[n] = c
		}
		return s, saw, overlapped.Load()
	}
	for _, zones := range [][]string{nil, {"zone1"}} {
		seq, seqSaw, _ := run(false, zones)
		ovl, ovlSaw, overlapped := run(true, zones)
		if !overlapped {
			t.Errorf("zones %v: stage 2 did not run while the database collector read on", zones)
		}
		a, _ := seq.Encode()
		b, _ := ovl.Encode()
		if string(a) != string(b) {
			t.Errorf("zones %v: snapshots differ:\n%s\n%s", zones, a, b)
		}
		if len(seqSaw) != len(ovlSaw) || len(ovlSaw) == 0 {
			t.Errorf("zones %v: targets %v early, %v after", zones, ovlSaw, seqSaw)
		}
		if zones != nil && len(ovlSaw) != 1 {
			t.Errorf("--zone not applied to the early inventory: %v", ovlSaw)
		}
	}
}
