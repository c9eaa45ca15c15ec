package report

import "sort"

// Changes is what changed between two reports of the same cloud.
type Changes struct {
	Old   SnapshotRef `json:"old"`
	New   SnapshotRef `json:"new"`
	Added []Finding   `json:"added"`    // open now, not open before
	Fixed []Finding   `json:"resolved"` // open before, gone or waived now
	// NotEvaluated were open before, and their check could not say this
	// time (status error or skipped, or gone): not resolved, not known open.
	NotEvaluated []Finding      `json:"not_evaluated"`
	Still        int            `json:"still_open"`
	Checks       []StatusChange `json:"checks_changed"`
	Summary      map[string]int `json:"summary"`
}

// StatusChange is a check whose status differs.
type StatusChange struct {
	ID   string `json:"id"`
	Was  Status `json:"was"`
	Now  Status `json:"now"`
	Note string `json:"title,omitempty"`
}

// Diff compares findings by their stable ids and checks by status.
func Diff(old, cur *Report) *Changes {
	openIn := func(r *Report) map[string]Finding {
		m := map[string]Finding{}
		for _, f := range r.Findings {
			if f.Status != Waived {
				m[f.ID] = f
			}
		}
		return m
	}
	before, after := openIn(old), openIn(cur)
	c := &Changes{Old: old.Snapshot, New: cur.Snapshot, Added: []Finding{}, Fixed: []Finding{}, NotEvaluated: []Finding{}, Checks: []StatusChange{}}
	judged := map[string]bool{}
	for _, ch := range cur.Checks {
		judged[ch.ID] = ch.Status == Pass || ch.Status == Fail
	}
	for id, f := range after {
		if _, ok := before[id]; ok {
			c.Still++
		} else {
			c.Added = append(c.Added, f)
		}
	}
	for id, f := range before {
		if _, ok := after[id]; ok {
			continue
		}
		if judged[f.CheckID] {
			c.Fixed = append(c.Fixed, f)
		} else {
			c.NotEvaluated = append(c.NotEvaluated, f)
		}
	}
	SortFindings(c.Added)
	SortFindings(c.Fixed)
	SortFindings(c.NotEvaluated)
	was := map[string]Status{}
	for _, ch := range old.Checks {
		was[ch.ID] = ch.Status
	}
	for _, ch := range cur.Checks {
		if w, ok := was[ch.ID]; ok && w != ch.Status {
			c.Checks = append(c.Checks, StatusChange{ID: ch.ID, Was: w, Now: ch.Status, Note: ch.Title})
		}
	}
	sort.Slice(c.Checks, func(i, j int) bool { return c.Checks[i].ID < c.Checks[j].ID })
	c.Summary = map[string]int{"added": len(c.Added), "resolved": len(c.Fixed), "still_open": c.Still, "not_evaluated": len(c.NotEvaluated), "checks_changed": len(c.Checks)}
	return c
}
