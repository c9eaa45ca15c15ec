package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Merge combines the reports of disjoint zones of one cloud (`csaudit audit
// --zone`) into one: the same checks, each with the worst status any part
// gave it (error, then fail, then skipped, then pass: a zone that was not
// checked keeps the whole from passing), findings united (a cloud-wide
// finding seen by several parts counts once), the target summed, waivers
// expired in any part and unused in every part, collector errors of all, and
// each part's snapshot kept with its digest. The summary is recomputed.
func Merge(parts []*Report, tool Tool, now time.Time) (*Report, error) {
	if len(parts) < 2 {
		return nil, errors.New("merge needs at least two reports")
	}
	first := parts[0]
	out := &Report{Schema: SchemaVersion, Tool: tool, GeneratedAt: now.UTC(), PolicyParams: first.PolicyParams,
		AdvisoryData: first.AdvisoryData, Findings: []Finding{}, CollectorErrors: []CollectorError{},
		Waivers: WaiverSummary{Expired: []Waiver{}, Unused: []Waiver{}}}
	zoneOf := map[string]int{}
	checks := map[string]*Check{}
	var order []string
	seen := map[string]bool{}
	unused := map[string]int{}
	unusedW := map[string]Waiver{}
	expired := map[string]bool{}
	var names []string
	for i, p := range parts {
		switch {
		case p.Schema != SchemaVersion:
			return nil, fmt.Errorf("part %d: schema %q, want %q", i+1, p.Schema, SchemaVersion)
		case p.Readiness != nil:
			return nil, fmt.Errorf("part %d: a readiness report, not an audit", i+1)
		case len(p.Snapshot.Zones) == 0:
			return nil, fmt.Errorf("part %d: not restricted to zones (audit each part with --zone)", i+1)
		case p.Target.Database != first.Target.Database:
			return nil, fmt.Errorf("part %d: another cloud's database (%s, not %s)", i+1, p.Target.Database, first.Target.Database)
		case !equalJSON(p.PolicyParams, first.PolicyParams):
			return nil, fmt.Errorf("part %d: evaluated with other policy parameters", i+1)
		case len(p.Checks) != len(first.Checks):
			return nil, fmt.Errorf("part %d: %d checks, part 1 has %d (same csaudit and policies for every part)", i+1, len(p.Checks), len(first.Checks))
		}
		for _, z := range p.Snapshot.Zones {
			if j, dup := zoneOf[z]; dup {
				return nil, fmt.Errorf("parts %d and %d both cover zone %s: the parts must be disjoint", j+1, i+1, z)
			}
			zoneOf[z] = i
		}
		out.Parts = append(out.Parts, p.Snapshot)
		out.Lab = out.Lab || p.Lab
		if p.Target.Name != "" {
			names = append(names, p.Target.Name)
		}
		t := &out.Target
		t.Zones += p.Target.Zones
		t.Clusters += p.Target.Clusters
		t.Hosts += p.Target.Hosts
		t.VMs += p.Target.VMs
		t.SystemVMs += p.Target.SystemVMs
		t.Database = p.Target.Database
		if t.CloudStackVersion == "" {
			t.CloudStackVersion = p.Target.CloudStackVersion
		}
		for _, c := range p.Checks {
			m := checks[c.ID]
			if m == nil {
				if i > 0 {
					return nil, fmt.Errorf("part %d: check %s is not in part 1", i+1, c.ID)
				}
				cp := c
				cp.NotEvaluated = append([]string{}, c.NotEvaluated...)
				checks[c.ID] = &cp
				order = append(order, c.ID)
				continue
			}
			if rank(c.Status) > rank(m.Status) {
				m.Status, m.StatusReason = c.Status, c.StatusReason
			} else if c.StatusReason != "" && c.Status == m.Status && !strings.Contains(m.StatusReason, c.StatusReason) {
				m.StatusReason = strings.TrimPrefix(m.StatusReason+"; "+c.StatusReason, "; ")
			}
			for _, r := range c.NotEvaluated {
				if !slices.Contains(m.NotEvaluated, r) {
					m.NotEvaluated = append(m.NotEvaluated, r)
				}
			}
		}
		for _, f := range p.Findings {
			if !seen[f.ID] {
				seen[f.ID] = true
				out.Findings = append(out.Findings, f)
			}
		}
		out.CollectorErrors = append(out.CollectorErrors, p.CollectorErrors...)
		for _, w := range p.Waivers.Expired {
			if k := waiverKey(w); !expired[k] {
				expired[k] = true
				out.Waivers.Expired = append(out.Waivers.Expired, w)
			}
		}
		for _, w := range p.Waivers.Unused {
			k := waiverKey(w)
			unused[k]++
			unusedW[k] = w
		}
	}
	for id := range checks {
		sort.Strings(checks[id].NotEvaluated)
	}
	for _, id := range order {
		out.Checks = append(out.Checks, *checks[id])
	}
	keys := make([]string, 0, len(unused))
	for k, n := range unused {
		if n == len(parts) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Waivers.Unused = append(out.Waivers.Unused, unusedW[k])
	}
	sort.Strings(names)
	out.Target.Name = strings.Join(slices.Compact(names), ", ")
	out.Finalize()
	return out, nil
}

// rank orders statuses by how much they keep a check from passing.
func rank(s Status) int {
	switch s {
	case Error:
		return 3
	case Fail:
		return 2
	case Skipped:
		return 1
	}
	return 0
}

func waiverKey(w Waiver) string {
	b, _ := json.Marshal(w)
	return string(b)
}

func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
