package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/remediate"
	"github.com/csaudit/csaudit/report"
)

// Explanation is everything behind one finding.
type Explanation struct {
	Finding report.Finding
	Check   report.Check
	// At is when the report was made (ages are measured to it).
	At time.Time
	// Facts are the snapshot values the finding was derived from.
	Facts []Fact
	// SnapshotNote says why Facts is empty when no snapshot could be read.
	SnapshotNote string
	// Fix is what csaudit fix plan would offer, one line each; empty when
	// it offers nothing.
	Fix []string
}

// Fact is one value from the snapshot, with where and when it was collected.
type Fact struct {
	Path        string // e.g. db.vm_instance["101"], hosts["uuid"].agent_properties
	Value       any
	Collector   string
	CollectedAt *time.Time
	Error       string
}

// fixOffer says what csaudit fix plan would offer for the finding: a fix
// (type, action, the preconditions apply re-checks, risk) or advice (why no
// fix, the safe steps), from the same planner fix plan uses. Without a
// snapshot only the report's fix_id is known.
func fixOffer(r *report.Report, snap *collectors.Snapshot, f report.Finding) []string {
	if snap == nil {
		if f.Remediation.FixID == "" {
			return nil
		}
		return []string{fmt.Sprintf("fix %s (csaudit fix plan lists it with its preconditions)", f.Remediation.FixID)}
	}
	if f.Status == report.Waived {
		return []string{"none: fix plan leaves waived findings alone"}
	}
	p, err := remediate.MakePlan(snap, []report.Finding{f}, remediate.Options{
		StuckMinutes: remediate.StuckMinutes(r.PolicyParams), Now: r.GeneratedAt, SnapshotSHA256: r.Snapshot.SHA256})
	if err != nil {
		return []string{"none: " + err.Error()}
	}
	var out []string
	for _, fx := range p.Fixes {
		out = append(out, fmt.Sprintf("fix %s, type %s (%s): %s", fx.ID, fx.Type, fx.Action.Kind, fx.Action.Text))
		for _, pc := range fx.Preconditions {
			out = append(out, fmt.Sprintf("  re-checked at apply: %s: %s", pc.What, pc.Expect))
		}
		if fx.Risk != "" {
			out = append(out, "  risk: "+fx.Risk)
		}
	}
	for _, ad := range p.Advice {
		out = append(out, "no fix: "+ad.Why)
		for i, st := range ad.Steps {
			out = append(out, fmt.Sprintf("  %d. %s", i+1, st))
		}
	}
	return out
}

// ExplainReport finds a finding (by id or unique id prefix) in a saved report
// and, when the report's snapshot file lies beside it and matches its digest,
// the snapshot values behind it.
func ExplainReport(path, id string) (*Explanation, error) {
	r, err := report.LoadJSON(path)
	if err != nil {
		return nil, err
	}
	var snap *collectors.Snapshot
	var raw []byte
	note := "the report names no snapshot file"
	if r.Snapshot.File != "" {
		sp := filepath.Join(filepath.Dir(path), filepath.Base(r.Snapshot.File))
		s, b, err := collectors.LoadSnapshot(sp)
		switch {
		case err != nil:
			note = err.Error()
		case collectors.SHA256(b) != r.Snapshot.SHA256:
			note = fmt.Sprintf("snapshot %s does not match the report's snapshot.sha256: values not shown", sp)
		default:
			snap, raw, note = s, b, ""
		}
	}
	return explain(r, id, snap, raw, note)
}

// ExplainSnapshot evaluates a saved snapshot as audit --snapshot does (env's
// clock; the config's policies and waivers) and explains one of its findings.
func ExplainSnapshot(ctx context.Context, env Env, cfg *collectors.Config, dirs []string, path, id string) (*Explanation, error) {
	res, err := Audit{Source: Source{SnapshotFile: path}, PolicyDirs: dirs}.Run(ctx, env, cfg)
	if err != nil {
		return nil, err
	}
	raw := res.Raw
	if raw == nil {
		// A .gz snapshot is kept compressed for --out: explain reads its JSON.
		if raw, err = collectors.ReadLimited(bytes.NewReader(res.Compressed), collectors.MaxSnapshotBytes); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", path, err)
		}
	}
	return explain(res.Report, id, res.Snapshot, raw, "")
}

func explain(r *report.Report, id string, snap *collectors.Snapshot, raw []byte, note string) (*Explanation, error) {
	var hits []report.Finding
	for _, f := range r.Findings {
		if f.ID == id {
			hits = []report.Finding{f}
			break
		}
		if id != "" && strings.HasPrefix(f.ID, id) {
			hits = append(hits, f)
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("no finding %q in the report (%d findings; csaudit audit --format table lists their ids)", id, len(r.Findings))
	case 1:
	default:
		var ids []string
		for _, f := range hits {
			ids = append(ids, f.ID)
		}
		return nil, fmt.Errorf("finding id prefix %q is ambiguous: %s", id, strings.Join(ids, ", "))
	}
	f := hits[0]
	x := &Explanation{Finding: f, At: r.GeneratedAt, SnapshotNote: note, Fix: fixOffer(r, snap, f)}
	if c := r.CheckByID(f.CheckID); c != nil {
		x.Check = *c
	}
	if raw != nil {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		x.Facts = factsBehind(doc, f, x.Check.Requires)
		if len(x.Facts) == 0 {
			x.SnapshotNote = "the snapshot holds no value filed under this resource for the check's required facts"
		}
	}
	return x, nil
}

// resourceTables maps a resource type to the table its id keys.
var resourceTables = map[string]string{
	"vm": "vm_instance", "system_vm": "vm_instance", "router": "vm_instance", "host": "host",
	"cluster": "cluster", "zone": "data_center", "pod": "host_pod_ref", "storage_pool": "storage_pool",
	"volume": "volumes", "management_server": "mshost", "async_job": "async_job", "template": "vm_template",
}

// factsBehind picks, for each fact the check requires, the part of the
// snapshot filed under the finding's resource.
func factsBehind(doc map[string]any, f report.Finding, requires []string) []Fact {
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	meta := obj(doc["meta"])
	var dbNow *time.Time
	if s, ok := meta["db_now"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			dbNow = &t
		}
	}
	coverage := obj(doc["coverage"])
	collectorOf := func(fact, fallback string) string {
		if c, ok := obj(coverage[fact])["collector"].(string); ok && c != "" {
			return c
		}
		return fallback
	}
	withTime := func(path, collector string, v any) Fact {
		// A file fact lists many files; the evidence's path names the one.
		if p, ok := f.Evidence["path"].(string); ok {
			if fv, ok := obj(obj(v)["files"])[p]; ok {
				m := map[string]any{"files": map[string]any{p: fv}}
				for k, val := range obj(v) {
					if k != "files" {
						m[k] = val
					}
				}
				v = m
			}
		}
		x := Fact{Path: path, Value: v, Collector: collector}
		if m := obj(v); m != nil {
			if s, ok := m["collected_at"].(string); ok {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					x.CollectedAt = &t
				}
			}
			x.Error, _ = m["error"].(string)
		}
		return x
	}
	res := f.Resource
	var out []Fact
	for _, req := range requires {
		kind, name, _ := strings.Cut(req, ".")
		switch kind {
		case "db":
			if resourceTables[res.Type] != name || res.ID == "" {
				continue
			}
			row := obj(obj(obj(doc["db"])[name])[res.ID])
			if row == nil {
				continue
			}
			out = append(out, Fact{Path: fmt.Sprintf("db.%s[%q]", name, res.ID), Value: evidenceFields(row, f.Evidence), Collector: collectorOf(req, "database"), CollectedAt: dbNow})
		case "settings":
			setting := ""
			if res.Type == "setting" {
				setting = res.Name
			} else if s, ok := f.Evidence["setting"].(string); ok {
				setting = s
			}
			if v, ok := obj(doc["settings"])[setting]; ok {
				out = append(out, Fact{Path: fmt.Sprintf("settings[%q]", setting), Value: v, Collector: "database", CollectedAt: dbNow})
			}
		case "hosts", "libvirt", "oobm":
			if res.Type != "host" || res.UUID == "" {
				continue
			}
			section, key := "hosts", name
			if kind == "oobm" {
				section, key = "oobm", ""
			}
			v, ok := obj(doc[section])[res.UUID]
			if !ok {
				continue
			}
			path := fmt.Sprintf("%s[%q]", section, res.UUID)
			if key != "" {
				if v, ok = obj(v)[key]; !ok {
					continue
				}
				path += "." + key
			}
			out = append(out, withTime(path, collectorOf(req, kind), v))
		case "local":
			if v, ok := obj(doc["local"])[name]; ok {
				out = append(out, withTime("local."+name, collectorOf(req, "local"), v))
			}
		}
	}
	return out
}

// evidenceFields keeps the row's columns the evidence names (plus its state
// and name, which place the row), or the whole row when the evidence names
// none of them.
func evidenceFields(row, evidence map[string]any) map[string]any {
	out := map[string]any{}
	for k := range evidence {
		if v, ok := row[k]; ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return row
	}
	for _, k := range []string{"name", "state"} {
		if v, ok := row[k]; ok {
			out[k] = v
		}
	}
	return out
}

// WriteText prints the explanation for a person. Cloud-supplied text is
// stripped of control characters.
func (x *Explanation) WriteText(w io.Writer) error {
	f, c := x.Finding, x.Check
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("Finding %s: %s %s (%s)\n", f.ID, f.CheckID, c.Title, f.Severity)
	p("  resource: %s %s", f.Resource.Type, clean(f.Resource.Label()))
	if f.Resource.ID != "" {
		p(" (id %s)", clean(f.Resource.ID))
	}
	if f.Resource.UUID != "" {
		p(" uuid %s", clean(f.Resource.UUID))
	}
	p("\n  status: %s", f.Status)
	if age := f.Age(x.At); age != "" {
		p(", %s (first seen %s)", age, f.FirstSeen.UTC().Format(time.RFC3339))
	}
	p("\n  message: %s\n", clean(f.Message))
	if c.Description != "" {
		p("\nCheck %s\n  %s\n", c.ID, clean(c.Description))
	}
	if c.Source != "" {
		p("  policy: %s\n", c.Source)
	}
	for _, ref := range c.References {
		p("  source: %s\n", clean(ref))
	}
	p("\nEvidence (the fields the check put in the finding):\n")
	keys := make([]string, 0, len(f.Evidence))
	for k := range f.Evidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p("  %s = %s\n", clean(k), clean(compact(f.Evidence[k])))
	}
	p("\nSnapshot values behind it:\n")
	if len(x.Facts) == 0 {
		p("  (none shown: %s)\n", x.SnapshotNote)
	}
	for _, fa := range x.Facts {
		when := "time not recorded"
		if fa.CollectedAt != nil {
			when = fa.CollectedAt.UTC().Format(time.RFC3339)
		}
		p("  %s  [collector %s, collected %s]\n    %s\n", clean(fa.Path), fa.Collector, when, clean(compact(fa.Value)))
		if fa.Error != "" {
			p("    collection error: %s\n", clean(fa.Error))
		}
	}
	rem := f.Remediation
	p("\nRemediation: %s\n", clean(rem.Summary))
	for i, s := range rem.Steps {
		p("  %d. %s\n", i+1, clean(s))
	}
	for _, cmd := range rem.Commands {
		p("  [%s] %s\n", cmd.Kind, clean(cmd.Text))
	}
	if len(x.Fix) == 0 {
		p("\nFix: none; csaudit fix plan offers no fix or advice for this finding\n")
	} else {
		p("\nWhat csaudit fix plan offers:\n")
		for _, l := range x.Fix {
			p("  %s\n", clean(l))
		}
	}
	return nil
}

// compact is a value as one line of JSON, cut at 2000 characters.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if s := string(b); len(s) > 2000 {
		return strings.ToValidUTF8(s[:2000], "") + "…"
	}
	return string(b)
}

// clean drops control and bidirectional characters from cloud-supplied text
// bound for a terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || report.IsBidiControl(r) {
			return -1
		}
		return r
	}, s)
}
