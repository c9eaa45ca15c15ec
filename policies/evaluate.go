package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/csaudit/csaudit/report"
)

// Input is a snapshot ready for evaluation: its JSON converted to an ast.Value
// once, plus the parts Go needs to decide statuses. policies reads the snapshot
// through its JSON contract only; it does not import collectors.
type Input struct {
	Value    ast.Value
	Index    ast.Value // data.csaudit.index, derived from Value (index.go)
	Coverage map[string]Coverage
	Selected map[string]bool
}

// Coverage mirrors the snapshot's coverage entry.
type Coverage struct {
	Collector string            `json:"collector"`
	Selected  bool              `json:"selected"`
	Collected []string          `json:"collected"`
	Failed    map[string]string `json:"failed"`
}

// ParseInput converts snapshot JSON.
func ParseInput(b []byte) (*Input, error) {
	return ReadInput(bytes.NewReader(b), DecodeOptions{})
}

// ReadInput decodes a snapshot from r in one streaming pass (DecodeValue),
// building data.csaudit.index as the rows go by, and reads the parts Go
// needs to decide statuses (coverage, which collectors were selected).
func ReadInput(r io.Reader, o DecodeOptions) (*Input, error) {
	o.Index = NewIndexer()
	v, err := DecodeValue(r, o)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	root, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("snapshot: not a JSON object")
	}
	return inputOf(root, o.Index.Index(root))
}

// inputOf completes an Input from the snapshot's value and index.
func inputOf(root ast.Object, idx ast.Value) (*Input, error) {
	in := &Input{Value: root, Index: idx, Coverage: map[string]Coverage{}, Selected: map[string]bool{}}
	// Only meta's collectors and coverage, which are small, are read into Go.
	if cov := field(root, "coverage"); cov != nil && cov.Compare(ast.NullValue) != 0 {
		if err := ast.As(cov, &in.Coverage); err != nil {
			return nil, fmt.Errorf("snapshot: coverage: %w", err)
		}
		if in.Coverage == nil {
			in.Coverage = map[string]Coverage{}
		}
	}
	if cols := field(field(root, "meta"), "collectors"); cols != nil && cols.Compare(ast.NullValue) != 0 {
		var sel map[string]struct {
			Selected bool `json:"selected"`
		}
		if err := ast.As(cols, &sel); err != nil {
			return nil, fmt.Errorf("snapshot: meta.collectors: %w", err)
		}
		for n, c := range sel {
			in.Selected[n] = c.Selected
		}
	}
	return in, nil
}

// collectorFor names the collector that provides a fact.
func collectorFor(fact string, c *Coverage) string {
	if c != nil && c.Collector != "" {
		return c.Collector
	}
	switch {
	case fact == "settings", strings.HasPrefix(fact, "db."):
		return "database"
	case strings.HasPrefix(fact, "hosts."):
		return "hosts"
	case strings.HasPrefix(fact, "libvirt."):
		return "libvirt"
	case strings.HasPrefix(fact, "oobm."):
		return "ipmi"
	case strings.HasPrefix(fact, "local."):
		return "local"
	}
	return ""
}

// Evaluate runs every check and derives statuses (DESIGN "Status"): skipped
// when a required collector was not selected; error when the rule itself failed
// (a runtime error, a malformed finding, two findings one id) — its findings
// cannot be trusted then and are dropped; fail with an open finding, even when
// a required fact is missing or failed for some resources (status_reason names
// those facts, not_evaluated the resources); error when nothing was found and a
// required fact is missing or partial; pass otherwise. Missing data is never a
// pass, and never hides a finding that was made.
func (e *Engine) Evaluate(ctx context.Context, in *Input) ([]report.Check, []report.Finding, error) {
	raw, failed, err := e.raw(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	var checks []report.Check
	var findings []report.Finding
	for _, ch := range e.checks {
		rc := report.Check{
			ID: ch.ID, Title: ch.Title, Description: ch.Description, Severity: ch.Severity,
			Category: ch.Category, References: ch.References, Controls: ch.Controls,
			Requires: ch.Requires, NotEvaluated: []string{}, Source: ch.File,
		}
		rem := ch.Remediation
		rc.Remediation = &rem

		if missing := e.unselected(ch, in); missing != "" {
			rc.Status = report.Skipped
			rc.StatusReason = missing
			checks = append(checks, rc)
			continue
		}
		var fs []report.Finding
		var problems []string
		if msg, bad := failed[ch.Package]; bad {
			problems = append(problems, "evaluation failed: "+msg)
		} else {
			for _, v := range raw[ch.Package] {
				f, err := toFinding(ch, v)
				if err != nil {
					problems = append(problems, "malformed finding: "+err.Error())
					continue
				}
				fs = append(fs, f)
			}
			problems = append(problems, duplicates(ch, fs)...)
		}
		ne, incomplete, absent := notEvaluated(ch, in)
		rc.NotEvaluated = ne
		switch {
		case len(problems) > 0 || absent:
			// A broken rule's output cannot be trusted either way, and a rule
			// whose fact is wholly missing reads an empty table: its "not
			// found" findings would be invented. No pass, no findings.
			rc.Status = report.Error
			rc.StatusReason = strings.Join(append(problems, incomplete...), "; ")
			fs = nil
		case len(fs) > 0:
			rc.Status = report.Fail
			rc.StatusReason = strings.Join(incomplete, "; ")
		case len(incomplete) > 0:
			rc.Status = report.Error
			rc.StatusReason = strings.Join(incomplete, "; ")
		default:
			rc.Status = report.Pass
		}
		findings = append(findings, fs...)
		checks = append(checks, rc)
	}
	return checks, findings, nil
}

// duplicates reports findings of one check that would share a finding id: the
// same resource without a discriminator that tells them apart. The finding id
// must be equal across runs, so csaudit does not invent one from the message;
// the check's author adds a discriminator (DESIGN "Finding id").
func duplicates(ch *Check, fs []report.Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		id := report.FindingID(ch.ID, f.Resource, f.Discriminator)
		if seen[id] {
			what := fmt.Sprintf("%s %s", f.Resource.Type, f.Resource.Label())
			if f.Discriminator != "" {
				what += fmt.Sprintf(" (discriminator %q)", f.Discriminator)
			}
			out = append(out, fmt.Sprintf("check %s emitted two findings for %s without a distinguishing discriminator", ch.ID, what))
			continue
		}
		seen[id] = true
	}
	sort.Strings(out)
	return out
}

// unselected explains why a check is skipped: a collector it needs was not
// selected, or its collector chose not to gather a fact it needs (for example
// BMC logins while ipmi.sessions is off: coverage selected=false).
func (e *Engine) unselected(ch *Check, in *Input) string {
	for _, r := range ch.Requires {
		var cp *Coverage
		if c, ok := in.Coverage[r]; ok {
			cp = &c
		}
		col := collectorFor(r, cp)
		if !in.Selected[col] {
			return "collector " + col + " was not selected"
		}
		if cp != nil && !cp.Selected {
			return "fact " + r + " was not selected by the " + col + " configuration"
		}
	}
	return ""
}

// notEvaluated lists the resources a required fact failed for, and explains
// every required fact that is missing entirely or failed for some resources.
func notEvaluated(ch *Check, in *Input) (resources, incomplete []string, absent bool) {
	set := map[string]bool{}
	for _, r := range ch.Requires {
		c, ok := in.Coverage[r]
		switch {
		case !ok:
			incomplete = append(incomplete, "fact "+r+" was not collected")
			absent = true
			continue
		case len(c.Collected) == 0 && len(c.Failed) > 0:
			incomplete = append(incomplete, fmt.Sprintf("fact %s failed for every resource (%d)", r, len(c.Failed)))
			absent = true
		case len(c.Failed) > 0:
			incomplete = append(incomplete, fmt.Sprintf("fact %s failed for %d resource(s)", r, len(c.Failed)))
		}
		for res := range c.Failed {
			set[res] = true
		}
	}
	resources = make([]string, 0, len(set))
	for r := range set {
		resources = append(resources, r)
	}
	sort.Strings(resources)
	return resources, incomplete, absent
}

// toFinding validates one element of a deny set.
func toFinding(ch *Check, v any) (report.Finding, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return report.Finding{}, fmt.Errorf("%s: a deny element must be an object", ch.ID)
	}
	f := report.Finding{CheckID: ch.ID, Title: ch.Title, Category: ch.Category, Severity: ch.Severity, Status: report.Open}
	res, ok := m["resource"].(map[string]any)
	if !ok {
		return f, fmt.Errorf("%s: resource object missing", ch.ID)
	}
	f.Resource.Type = scalar(res["type"])
	f.Resource.ID = scalar(res["id"])
	f.Resource.UUID = scalar(res["uuid"])
	f.Resource.Name = scalar(res["name"])
	if f.Resource.Type == "" {
		return f, fmt.Errorf("%s: resource.type missing", ch.ID)
	}
	if f.Resource.ID == "" && f.Resource.UUID == "" && f.Resource.Name == "" {
		return f, fmt.Errorf("%s: resource needs an id, uuid or name", ch.ID)
	}
	f.Message, _ = m["message"].(string)
	if strings.TrimSpace(f.Message) == "" {
		return f, fmt.Errorf("%s: message missing", ch.ID)
	}
	if s, ok := m["severity"].(string); ok {
		sev, err := report.ParseSeverity(s)
		if err != nil {
			return f, fmt.Errorf("%s: %w", ch.ID, err)
		}
		f.Severity = sev
	}
	f.Discriminator = scalar(m["discriminator"])
	f.Evidence = map[string]any{}
	if ev, ok := m["evidence"].(map[string]any); ok {
		f.Evidence = ev
	}
	rem, err := findingRemediation(ch.Remediation, m)
	if err != nil {
		return f, fmt.Errorf("%s: remediation: %w", ch.ID, err)
	}
	args, _ := m["args"].(map[string]any)
	if m["args"] != nil && args == nil {
		return f, fmt.Errorf("%s: args: want an object of values for the commands' placeholders", ch.ID)
	}
	if f.Remediation, err = fill(rem, values(f.Resource, args)); err != nil {
		return f, fmt.Errorf("%s: %w", ch.ID, err)
	}
	return f, nil
}

// findingRemediation is the METADATA remediation with what the rule chose for
// this finding's situation laid over it: a "remediation" object (summary,
// steps, commands; each replaces the METADATA one), or the older top-level
// "commands" and "steps". fix_id is not the rule's to set: csaudit's fix
// engine sets it when a compiled-in fix applies to the finding.
func findingRemediation(base report.Remediation, m map[string]any) (report.Remediation, error) {
	r := base
	if v, ok := m["remediation"]; ok {
		o, ok := v.(map[string]any)
		if !ok {
			return r, fmt.Errorf("want an object with summary, steps, commands")
		}
		if s, ok := o["summary"].(string); ok && strings.TrimSpace(s) != "" {
			r.Summary = s
		}
		if o["steps"] != nil {
			steps, err := stringList(o["steps"])
			if err != nil {
				return r, fmt.Errorf("steps: %w", err)
			}
			r.Steps = steps
		}
		if o["commands"] != nil {
			cmds, err := commandList(o["commands"])
			if err != nil {
				return r, fmt.Errorf("commands: %w", err)
			}
			r.Commands = cmds
		}
	}
	if cmds, err := commandList(m["commands"]); err != nil {
		return r, fmt.Errorf("commands: %w", err)
	} else if cmds != nil {
		r.Commands = cmds
	}
	if steps, err := stringList(m["steps"]); err == nil && len(steps) > 0 {
		r.Steps = steps
	}
	return r, nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", x), "0"), ".")
	default:
		return fmt.Sprint(x)
	}
}
