package advisory

import (
	"fmt"
	"io"
	"strings"

	"github.com/csaudit/csaudit/report"
	rtable "github.com/csaudit/csaudit/report/table"
)

// Row is one line of `csaudit advisories list`.
type Row struct {
	ID               string          `json:"id"`
	Kind             string          `json:"kind"`
	Severity         report.Severity `json:"severity"`
	AdvisorySeverity string          `json:"advisory_severity,omitempty"`
	Published        string          `json:"published,omitempty"`
	Component        string          `json:"component,omitempty"`
	Affected         string          `json:"affected"`
	FixedIn          string          `json:"fixed_in"`
	Summary          string          `json:"summary"`
	Mitigation       string          `json:"mitigation,omitempty"`
	ExposedWhen      string          `json:"exposed_when"`
	Source           string          `json:"source"`
}

// RowFrom reads a row back from an advisory finding.
func RowFrom(f report.Finding) Row {
	ev := func(k string) string { s, _ := f.Evidence[k].(string); return s }
	p := Row{ID: ev("id"), Kind: ev("kind"), Severity: f.Severity, AdvisorySeverity: ev("advisory_severity"), Published: ev("published"),
		Component: ev("component"), Affected: ev("affected_ranges"), Summary: ev("summary"), Source: ev("source")}
	if groups, ok := f.Evidence["affected"].([]any); ok && len(groups) > 0 {
		if g, ok := groups[0].(map[string]any); ok {
			p.FixedIn, _ = g["fixed_in"].(string)
		}
	}
	if conds, ok := f.Evidence["conditions"].([]any); ok {
		var cs []string
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["gating"] == true {
				cs = append(cs, fmt.Sprint(m["condition"]))
			}
		}
		p.ExposedWhen = strings.Join(cs, "; ")
	}
	return p
}

// Rows lists the data itself: no version, so nothing is judged.
func (d *Data) Rows() []Row {
	var out []Row
	for _, e := range d.Entries {
		var fixed []string
		for _, v := range e.Fixed {
			fixed = append(fixed, v.String())
		}
		var cs []string
		for _, c := range e.Conditions {
			if c.Gating {
				cs = append(cs, c.Text)
			}
		}
		out = append(out, Row{ID: e.ID, Kind: e.Kind, Severity: e.Severity, AdvisorySeverity: e.SeverityWord, Published: e.Published,
			Component: e.Component, Affected: e.AffectedText, FixedIn: strings.Join(fixed, ", "), Summary: e.Summary,
			Mitigation: e.Mitigation, ExposedWhen: strings.Join(cs, "; "), Source: e.Source})
	}
	return out
}

// WriteList prints `advisories list` for a terminal; everything from the
// data is cleaned of control characters.
func WriteList(w io.Writer, d *report.AdvisoryData, version string, rows []Row, notes []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "advisory data: %s, newest advisory %s (%d advisories, %d known bugs)\n", rtable.Clean(d.Source), d.Date, d.Advisories, d.KnownBugs)
	if version != "" {
		fmt.Fprintf(&b, "%d entries affect %s (exposure not judged without a cloud)\n", len(rows), rtable.Clean(version))
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "%s\n", rtable.Clean(n))
	}
	b.WriteString("\n")
	for _, r := range rows {
		fix := r.FixedIn
		if fix == "" {
			fix = "-"
		}
		fmt.Fprintf(&b, "%-9s %-16s %s\n", r.Severity, rtable.Clean(r.ID), rtable.Clean(fix))
		if r.Component != "" {
			fmt.Fprintf(&b, "          %s\n", rtable.Clean(r.Component))
		}
		fmt.Fprintf(&b, "          %s\n", rtable.Clean(r.Summary))
		if r.ExposedWhen != "" {
			fmt.Fprintf(&b, "          exposed when: %s\n", rtable.Clean(r.ExposedWhen))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
