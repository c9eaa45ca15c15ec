package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/policies/advisory"
	"github.com/csaudit/csaudit/remediate"
	"github.com/csaudit/csaudit/report"
)

// Engine loads the checks with the config's and the flags' policy
// directories and the config's parameters, validated here where the config's
// name is known.
func Engine(ctx context.Context, cfg *collectors.Config, dirs []string) (*policies.Engine, error) {
	all := append([]string{}, dirs...)
	for _, d := range cfg.Policies.Dirs {
		all = append(all, Resolve(cfg, d))
	}
	defaults, err := policies.DefaultParams()
	if err != nil {
		return nil, err
	}
	if _, err := policies.MergeParams(defaults, cfg.Policies.Params); err != nil {
		return nil, fmt.Errorf("config %s: %w", cfg.Path, err)
	}
	// The config's advisories: file (relative to it) replaces the embedded data.
	var adv *advisory.Data
	if cfg.Advisories != "" {
		if adv, err = advisory.Load(Resolve(cfg, cfg.Advisories)); err != nil {
			return nil, err
		}
	}
	return policies.New(ctx, policies.Options{Dirs: all, Params: cfg.Policies.Params, Advisories: adv,
		Timeout: time.Duration(cfg.Timeouts[collectors.TimeoutEvaluation])})
}

// Evaluate runs the checks over the snapshot (raw is its exact JSON) and
// assembles the report, waivers applied.
func Evaluate(ctx context.Context, env Env, eng *policies.Engine, snap *collectors.Snapshot, raw []byte, ws []report.Waiver) (*report.Report, error) {
	in, err := policies.ParseInput(raw)
	if err != nil {
		return nil, err
	}
	return evaluate(ctx, env, eng, snap, in, func() (string, error) { return collectors.SHA256(raw), nil }, ws)
}

// evaluate runs the checks over in, made from snap; digest gives the
// snapshot JSON's SHA-256, which a live audit is still encoding while the
// checks run.
func evaluate(ctx context.Context, env Env, eng *policies.Engine, snap *collectors.Snapshot, in *policies.Input, digest func() (string, error), ws []report.Waiver) (*report.Report, error) {
	checks, findings, err := eng.Evaluate(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	release(snap)
	sum, err := digest()
	if err != nil {
		return nil, fmt.Errorf("encode the snapshot: %w", err)
	}
	r := base(env, snap, sum)
	r.Checks, r.Findings, r.PolicyParams = checks, findings, eng.Params()
	r.AdvisoryData = eng.Advisories().Summary()
	// Findings a guarded fix exists for say so (fix_id and a step).
	remediate.Annotate(snap, r.Findings)
	r.ApplyWaivers(ws, r.GeneratedAt)
	r.Finalize()
	return r, nil
}

// release collects the evaluation's garbage — the Rego input and its index,
// most of a large audit's memory — before the reports are rendered, so the
// two never add up: OPA keeps pooled evaluation state (sync.Pool) that still
// points at the input until a second collection, and with Go's default GC
// pace the next collection would come only once the reports had doubled the
// heap. Small snapshots are left to the collector.
func release(snap *collectors.Snapshot) {
	rows := 0
	for _, t := range snap.DB {
		rows += len(t)
	}
	if rows < 20000 {
		return
	}
	runtime.GC()
	runtime.GC()
}

// Base is the report of a snapshot before any verdict: the tool, the
// evidence's digest, the target and the collector errors. Evaluate adds the
// checks; readiness adds its own.
func Base(env Env, snap *collectors.Snapshot, raw []byte) *report.Report {
	return base(env, snap, collectors.SHA256(raw))
}

func base(env Env, snap *collectors.Snapshot, digest string) *report.Report {
	r := &report.Report{
		Schema:      report.SchemaVersion,
		Tool:        report.Tool{Name: "csaudit", Version: env.Version},
		GeneratedAt: env.now().UTC(),
		Snapshot: report.SnapshotRef{
			SHA256:      digest,
			CollectedAt: snap.Meta.CollectedAt,
			DBNow:       snap.Meta.DBNow,
			Zones:       snap.Meta.Zones,
		},
		Target: Target(snap),
		Lab:    snap.Meta.Lab,
	}
	for _, e := range snap.CollectorErrors {
		r.CollectorErrors = append(r.CollectorErrors, report.CollectorError(e))
	}
	return r
}

// Target summarises the audited cloud from the snapshot's tables.
func Target(s *collectors.Snapshot) report.Target {
	live := func(table string, keep func(collectors.Row) bool) int {
		n := 0
		for _, row := range s.DB[table] {
			if row.Get("removed") == nil && (keep == nil || keep(row)) {
				n++
			}
		}
		return n
	}
	user := func(r collectors.Row) bool { return r.Get("type") == "User" }
	t := report.Target{
		Zones:     live("data_center", nil),
		Clusters:  live("cluster", nil),
		Hosts:     live("host", func(r collectors.Row) bool { return r.Get("type") == "Routing" }),
		VMs:       live("vm_instance", user),
		SystemVMs: live("vm_instance", func(r collectors.Row) bool { return !user(r) }),
	}
	if d := s.Meta.Database; d != nil {
		t.CloudStackVersion = d.CSVersion
		t.Database = fmt.Sprintf("%s:%d/%s", d.Hostname, d.Port, d.Schema)
	}
	t.Name = s.Meta.Name
	if t.Name == "" {
		// Operators know a cloud by its zones; the database address is the
		// last resort (an inventory-only run has neither).
		var zones []string
		for _, row := range s.DB["data_center"] {
			if n, ok := row.Get("name").(string); ok && n != "" && row.Get("removed") == nil {
				zones = append(zones, n)
			}
		}
		sort.Strings(zones)
		t.Name = strings.Join(zones, ", ")
	}
	if t.Name == "" {
		t.Name = t.Database
	}
	if t.CloudStackVersion == "" {
		var vs []string
		for _, row := range s.DB["version"] {
			if row.Get("step") == "Complete" {
				if v, ok := row.Get("version").(string); ok {
					vs = append(vs, v)
				}
			}
		}
		sort.Slice(vs, func(i, j int) bool { return VersionLess(vs[i], vs[j]) })
		if len(vs) > 0 {
			t.CloudStackVersion = vs[len(vs)-1]
		}
	}
	return t
}

// VersionLess compares dotted numeric versions such as 4.9.3.0 < 4.22.0.0.
func VersionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			fmt.Sscan(pa[i], &x)
		}
		if i < len(pb) {
			fmt.Sscan(pb[i], &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// Audit is the front half every audit-like command shares: policies and
// waivers checked first, then the snapshot (lab, file or a fresh collection),
// then the evaluation.
type Audit struct {
	Source     Source
	Waivers    string   // waiver file; "" means the config's
	PolicyDirs []string // beside the config's policies.dirs
}

// Result is what Run produced: the report, the snapshot it came from, the
// evidence, and the engine that evaluated it. Raw is the snapshot's exact
// JSON when it was read from a plain file or the lab; Compressed is the
// evidence gzipped (a fresh collection, whose JSON went straight into the
// digest and the compressor; a .gz file).
type Result struct {
	Report     *report.Report
	Snapshot   *collectors.Snapshot
	Raw        []byte
	Compressed []byte
	Engine     *policies.Engine
	// WaiverFile is the waiver file's content (nil without one), for a
	// signed run to record and copy.
	WaiverFile []byte
}

// Evidence is the snapshot file's content: compressed when it was made
// beside the evaluation, else the exact JSON (written compressed).
func (r *Result) Evidence() []byte {
	if r.Compressed != nil {
		return r.Compressed
	}
	return r.Raw
}

// Run validates the policies and waivers before anything is collected, gets
// the snapshot and evaluates it. A fresh collection is evaluated as it is in
// memory while its JSON is encoded and compressed beside the evaluation.
func (a Audit) Run(ctx context.Context, env Env, cfg *collectors.Config) (*Result, error) {
	if err := a.Source.Validate(); err != nil {
		return nil, err
	}
	ws, wraw, err := LoadWaiverFile(cfg, a.Waivers)
	if err != nil {
		return nil, err
	}
	eng, err := Engine(ctx, cfg, a.PolicyDirs)
	if err != nil {
		return nil, err
	}
	if a.Source.Lab || a.Source.SnapshotFile != "" {
		// Saved evidence is decoded once, as a stream, into what the
		// checks and the report read.
		var sv *saved
		if a.Source.Lab {
			if sv, err = decodeSaved(fixtures.Lab()); err != nil {
				return nil, fmt.Errorf("embedded lab: %w", err)
			}
		} else if sv, err = loadSaved(a.Source.SnapshotFile); err != nil {
			return nil, err
		}
		in := sv.in
		sv.in = nil // evaluate lets go of it once evaluated
		r, err := evaluate(ctx, env, eng, sv.snap, in, func() (string, error) { return sv.digest, nil }, ws)
		if err != nil {
			return nil, err
		}
		res := &Result{Report: r, Snapshot: sv.snap, Engine: eng, WaiverFile: wraw}
		if bytes.HasPrefix(sv.file, []byte{0x1f, 0x8b}) {
			res.Compressed = sv.file
		} else {
			res.Raw = sv.file
		}
		return res, nil
	}
	snap, tables, err := collectTables(ctx, env, a.Source, cfg)
	if err != nil {
		return nil, err
	}
	res, err := evaluateLive(ctx, env, eng, snap, tables, ws)
	if err != nil {
		return nil, err
	}
	res.WaiverFile = wraw
	return res, nil
}

// EvaluateLive evaluates a snapshot just collected, in memory, while its
// evidence is encoded and compressed beside the evaluation.
func EvaluateLive(ctx context.Context, env Env, eng *policies.Engine, snap *collectors.Snapshot, ws []report.Waiver) (*Result, error) {
	return evaluateLive(ctx, env, eng, snap, nil, ws)
}

// evaluateLive is EvaluateLive with the tables' part of the input possibly
// made during the collection already (nil: made here).
func evaluateLive(ctx context.Context, env Env, eng *policies.Engine, snap *collectors.Snapshot, tables *tablesInput, ws []report.Waiver) (*Result, error) {
	ev := StartEvidence(snap)
	var in *policies.Input
	var err error
	if tables != nil {
		in, err = tables.input(snap)
	} else {
		in, err = Input(snap)
	}
	if err != nil {
		ev.Wait() // the encoder reads snap: let it finish first
		return nil, err
	}
	var gz []byte
	r, err := evaluate(ctx, env, eng, snap, in, func() (string, error) {
		digest, z, err := ev.Wait()
		gz = z
		return digest, err
	}, ws)
	if err != nil {
		ev.Wait()
		return nil, err
	}
	return &Result{Report: r, Snapshot: snap, Compressed: gz, Engine: eng}, nil
}
