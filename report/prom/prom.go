// Package prom renders a Report in the Prometheus text exposition format, for
// node_exporter's textfile collector: scheduled audits become alertable metrics.
package prom

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/csaudit/csaudit/report"
)

// Write renders r.
func Write(w io.Writer, r *report.Report) error {
	var b strings.Builder
	metric := func(name, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
	}
	metric("csaudit_findings", "Findings of the audit by severity and status (open or waived).")
	counts := map[[2]string]int{}
	for _, f := range r.Findings {
		counts[[2]string{string(f.Severity), f.Status}]++
	}
	for _, sev := range report.Severities {
		for _, st := range []string{report.Open, report.Waived} {
			fmt.Fprintf(&b, "csaudit_findings{severity=%s,status=%s} %d\n", q(string(sev)), q(st), counts[[2]string{string(sev), st}])
		}
	}
	metric("csaudit_checks", "Checks of the audit by status.")
	statuses := map[report.Status]int{}
	for _, c := range r.Checks {
		statuses[c.Status]++
	}
	for _, st := range []report.Status{report.Pass, report.Fail, report.Error, report.Skipped} {
		fmt.Fprintf(&b, "csaudit_checks{status=%s} %d\n", q(string(st)), statuses[st])
	}
	metric("csaudit_check_findings", "Open findings per check; the status label is the check's status.")
	open := map[string]int{}
	for _, f := range r.Findings {
		if f.Status != report.Waived {
			open[f.CheckID]++
		}
	}
	checks := append([]report.Check(nil), r.Checks...)
	sort.Slice(checks, func(i, j int) bool { return checks[i].ID < checks[j].ID })
	for _, c := range checks {
		fmt.Fprintf(&b, "csaudit_check_findings{check=%s,severity=%s,status=%s} %d\n", q(c.ID), q(string(c.Severity)), q(string(c.Status)), open[c.ID])
	}
	metric("csaudit_control_score", "Score 0-100 per control area, severity-weighted (docs/controls.md); absent when none of the area's weighted checks ran.")
	for _, c := range r.Controls {
		if c.Score != nil {
			fmt.Fprintf(&b, "csaudit_control_score{control=%s} %d\n", q(c.ID), *c.Score)
		}
	}
	metric("csaudit_control_checks", "Checks per control area by status.")
	for _, c := range r.Controls {
		for _, st := range []struct {
			s report.Status
			n int
		}{{report.Pass, c.ChecksPassed}, {report.Fail, c.ChecksFailed}, {report.Error, c.ChecksError}, {report.Skipped, c.ChecksSkipped}} {
			fmt.Fprintf(&b, "csaudit_control_checks{control=%s,status=%s} %d\n", q(c.ID), q(string(st.s)), st.n)
		}
	}
	metric("csaudit_control_open_findings", "Open findings per control area by severity.")
	for _, c := range r.Controls {
		for _, sev := range report.Severities {
			fmt.Fprintf(&b, "csaudit_control_open_findings{control=%s,severity=%s} %d\n", q(c.ID), q(string(sev)), c.Open[sev])
		}
	}
	metric("csaudit_collector_errors", "Collector errors recorded in the snapshot.")
	fmt.Fprintf(&b, "csaudit_collector_errors %d\n", len(r.CollectorErrors))
	metric("csaudit_report_generated_timestamp_seconds", "When the report was generated (Unix time).")
	fmt.Fprintf(&b, "csaudit_report_generated_timestamp_seconds %d\n", r.GeneratedAt.Unix())
	metric("csaudit_snapshot_collected_timestamp_seconds", "When the evidence was collected (Unix time).")
	fmt.Fprintf(&b, "csaudit_snapshot_collected_timestamp_seconds %d\n", r.Snapshot.CollectedAt.Unix())
	if h := r.Summary.History; h != nil {
		// Only with --history: an audit without one knows no age.
		metric("csaudit_oldest_open_finding_age_seconds", "Age of the oldest open finding by severity, from its first_seen in the history (0: none open).")
		oldest := map[report.Severity]int64{}
		for _, f := range r.Findings {
			if f.Status != report.Waived && f.FirstSeen != nil {
				oldest[f.Severity] = max(oldest[f.Severity], int64(r.GeneratedAt.Sub(*f.FirstSeen).Seconds()))
			}
		}
		for _, sev := range report.Severities {
			fmt.Fprintf(&b, "csaudit_oldest_open_finding_age_seconds{severity=%s} %d\n", q(string(sev)), oldest[sev])
		}
		metric("csaudit_findings_history", "Findings new, persisting and resolved since the previous run of the history.")
		for _, kv := range []struct {
			k string
			v int
		}{{"new", h.New}, {"persisting", h.Persisting}, {"resolved", h.Resolved}} {
			fmt.Fprintf(&b, "csaudit_findings_history{change=%s} %d\n", q(kv.k), kv.v)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// q quotes a label value per the exposition format, which is UTF-8 only:
// invalid bytes become U+FFFD, as they do in the JSON report.
func q(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(strings.ToValidUTF8(s, "\uFFFD")) + `"`
}
