// Package table renders a Report for a terminal: colour on a TTY, plain text
// otherwise, control characters stripped from everything that came from outside.
package table

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/csaudit/csaudit/report"
)

// Options tune the terminal output.
type Options struct {
	Color bool
	// MaxFindings limits the rows of the findings table; 0 means all.
	MaxFindings int
}

// Write renders r without colour.
func Write(w io.Writer, r *report.Report) error { return WriteOptions(w, r, Options{}) }

// WriteOptions renders r.
func WriteOptions(w io.Writer, r *report.Report, o Options) error {
	p := &printer{w: w, o: o}
	t := r.Target
	p.linef("csaudit %s — CloudStack %s: %d zones, %d clusters, %d hosts, %d VMs",
		Clean(r.Tool.Version), orDash(t.CloudStackVersion), t.Zones, t.Clusters, t.Hosts, t.VMs)
	dbNow := "-"
	if r.Snapshot.DBNow != nil {
		dbNow = r.Snapshot.DBNow.UTC().Format("2006-01-02 15:04:05Z")
	}
	p.linef("collected %s (db clock %s), snapshot sha256 %s",
		r.Snapshot.CollectedAt.UTC().Format("2006-01-02 15:04:05Z"), dbNow, short(r.Snapshot.SHA256))
	if r.Lab {
		p.linef("target: embedded lab cloud (demo data)")
	}
	if d := r.AdvisoryData; d != nil {
		p.linef("advisory data: %s, newest advisory %s (%d advisories, %d known bugs)", Clean(d.Source), Clean(d.Date), d.Advisories, d.KnownBugs)
	}
	p.linef("")
	if r.Readiness != nil {
		if err := p.readiness(r.Readiness); err != nil {
			return err
		}
	}

	if len(r.Findings) > 0 {
		tb := newTable(w)
		tb.Header("SEVERITY", "CHECK", "RESOURCE", "FINDING", "STATUS")
		n := 0
		for _, f := range r.Findings {
			if o.MaxFindings > 0 && n == o.MaxFindings {
				break
			}
			n++
			status := f.Status
			if f.Waiver != nil {
				status = "waived until " + Clean(f.Waiver.Expires)
			}
			if age := f.Age(r.GeneratedAt); age != "" {
				status += ", " + age
			}
			if err := tb.Append(p.sev(f.Severity), wrap(Clean(f.CheckID), 24), resource(f.Resource), wrap(Clean(f.Message), 70), status); err != nil {
				return err
			}
		}
		if err := tb.Render(); err != nil {
			return err
		}
		if rest := len(r.Findings) - n; rest > 0 {
			p.linef("… and %d more findings (see the JSON, HTML or CSV report)", rest)
		}
		p.linef("")
	}

	// A failed check may have skipped resources whose facts are missing too;
	// an auditor must see that its findings are not the whole picture.
	var bad []report.Check
	for _, c := range r.Checks {
		if c.Status == report.Error || c.Status == report.Fail && (len(c.NotEvaluated) > 0 || c.StatusReason != "") {
			bad = append(bad, c)
		}
	}
	if len(bad) > 0 {
		p.linef("Checks that did not evaluate every resource (missing data is never a pass):")
		tb := newTable(w)
		tb.Header("CHECK", "STATUS", "TITLE", "WHY", "NOT EVALUATED")
		for _, c := range bad {
			ne := strings.Join(c.NotEvaluated, ", ")
			if len(c.NotEvaluated) > 5 {
				ne = strings.Join(c.NotEvaluated[:5], ", ") + fmt.Sprintf(" … (+%d)", len(c.NotEvaluated)-5)
			}
			if err := tb.Append(Clean(c.ID), string(c.Status), wrap(Clean(c.Title), 36), wrap(Clean(c.StatusReason), 44), wrap(Clean(ne), 38)); err != nil {
				return err
			}
		}
		if err := tb.Render(); err != nil {
			return err
		}
		p.linef("")
	}

	if len(r.CollectorErrors) > 0 {
		p.linef("Collector errors:")
		tb := newTable(w)
		tb.Header("COLLECTOR", "TARGET", "ERROR")
		for _, e := range r.CollectorErrors {
			if err := tb.Append(Clean(e.Collector), wrap(Clean(e.Target), 40), wrap(Clean(e.Error), 80)); err != nil {
				return err
			}
		}
		if err := tb.Render(); err != nil {
			return err
		}
		p.linef("")
	}

	for _, ws := range []struct {
		title string
		list  []report.Waiver
	}{{"Expired waivers (their findings are open again):", r.Waivers.Expired}, {"Unused waivers (matched nothing):", r.Waivers.Unused}} {
		if len(ws.list) == 0 {
			continue
		}
		p.linef("%s", ws.title)
		for _, w := range ws.list {
			p.linef("  %s on %s, approved by %s, expires %s", Clean(w.Check), Clean(w.Resource), Clean(w.Approver), Clean(w.Expires))
		}
		p.linef("")
	}

	s := r.Summary
	var parts []string
	for _, sev := range report.Severities {
		parts = append(parts, fmt.Sprintf("%s %d", sev, s.BySeverity[sev]))
	}
	p.linef("%d findings (%s; %d waived)", s.Findings, strings.Join(parts, ", "), s.Waived)
	p.linef("%d checks: %d passed, %d failed, %d error, %d skipped; %d collector errors",
		len(r.Checks), s.ChecksPassed, s.ChecksFailed, s.ChecksError, s.ChecksSkipped, s.CollectorErrors)
	if h := r.HistoryLine(); h != "" {
		p.linef("%s", h)
	}
	return p.err
}

// readiness prints the verdict and the placement plan, host by host.
func (p *printer) readiness(rd *report.Readiness) error {
	what := "host " + Clean(firstHost(rd))
	if rd.Mode == "cluster" {
		what = "cluster " + Clean(rd.Cluster.Label())
	}
	strict := ""
	if rd.Strict {
		strict = " (--strict)"
	}
	p.linef("Readiness for maintenance of %s: %s%s", what, strings.ToUpper(Clean(rd.Verdict)), strict)
	if rd.StoppedAt != nil {
		p.linef("The drain would stop at host %s.", Clean(rd.StoppedAt.Label()))
	}
	tb := newTable(p.w)
	tb.Header("DRAINED HOST", "VERDICT", "VM", "DESTINATION", "CPU MHZ", "RAM MIB")
	rows := 0
	for _, h := range rd.Hosts {
		if len(h.Moves) == 0 && len(h.Stopped) == 0 {
			if err := tb.Append(Clean(h.Host.Label()), Clean(h.Verdict), "-", "-", "", ""); err != nil {
				return err
			}
			rows++
		}
		for _, m := range h.Moves {
			if err := tb.Append(Clean(h.Host.Label()), Clean(h.Verdict), Clean(m.VM.Label()), Clean(m.To.Label()), fmt.Sprint(m.CPUMHz), fmt.Sprint(m.RAMBytes>>20)); err != nil {
				return err
			}
			rows++
		}
		for _, v := range h.Stopped {
			if err := tb.Append(Clean(h.Host.Label()), Clean(h.Verdict), Clean(v.Label()), "stopped (ForceStop)", "", ""); err != nil {
				return err
			}
			rows++
		}
	}
	if rows > 0 {
		if err := tb.Render(); err != nil {
			return err
		}
	}
	for _, n := range rd.NotChecked {
		p.linef("not checked: %s: %s", Clean(n.CheckID), Clean(n.Reason))
	}
	p.linef("")
	return p.err
}

func firstHost(rd *report.Readiness) string {
	if len(rd.Hosts) == 0 {
		return "-"
	}
	return rd.Hosts[0].Host.Label()
}

type printer struct {
	w   io.Writer
	o   Options
	err error
}

func (p *printer) linef(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
}

var sevColor = map[report.Severity]string{
	report.Critical: "\x1b[1;37;41m", report.High: "\x1b[1;31m", report.Medium: "\x1b[33m",
	report.Low: "\x1b[36m", report.Info: "\x1b[2m",
}

func (p *printer) sev(s report.Severity) string {
	v := Clean(string(s))
	if p.o.Color {
		if c, ok := sevColor[s]; ok {
			return c + v + "\x1b[0m"
		}
	}
	return v
}

func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
}

func resource(r report.Resource) string { return wrap(Clean(r.Type)+" "+Clean(r.Label()), 64) }

func short(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return orDash(s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return Clean(s)
}

// Clean removes control characters (C0, DEL, C1) and bidirectional overrides, so
// a hostile name cannot move the cursor, recolour the terminal or reorder text.
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		case report.IsBidiControl(r):
			return -1
		}
		return r
	}, s)
}

// CleanLines is Clean for multi-line text: each line cleaned, the line
// breaks kept.
func CleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Clean(l)
	}
	return strings.Join(lines, "\n")
}

// wrap breaks long text at spaces so the table stays readable.
func wrap(s string, width int) string {
	if len([]rune(s)) <= width {
		return s
	}
	var lines []string
	var line []rune
	for _, word := range strings.Fields(s) {
		w := []rune(word)
		if len(line) > 0 && len(line)+1+len(w) > width {
			lines = append(lines, string(line))
			line = nil
		}
		if len(line) > 0 {
			line = append(line, ' ')
		}
		// A word longer than the column (a hostile or generated name) is
		// broken, so no cell is wider than its column.
		for len(line)+len(w) > width {
			k := width - len(line)
			lines = append(lines, string(append(line, w[:k]...)))
			line, w = nil, w[k:]
			if len(lines) > maxCellLines {
				break
			}
		}
		line = append(line, w...)
		if len(lines) > maxCellLines {
			break
		}
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	if len(lines) > maxCellLines {
		// The full value stays in the JSON, HTML and CSV reports.
		lines = lines[:maxCellLines]
		last := []rune(lines[maxCellLines-1])
		if len(last) >= width {
			last = last[:width-1]
		}
		lines[maxCellLines-1] = string(last) + "…"
	}
	return strings.Join(lines, "\n")
}

// cut shortens a one-line value to n runes, ending it with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// maxCellLines bounds a wrapped cell: a 1 MB name must not fill the terminal.
const maxCellLines = 8

// WriteDiff prints the changes between two reports, one line each.
func WriteDiff(w io.Writer, d *report.Changes) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d added, %d resolved, %d still open, %d not evaluated, %d checks changed status\n",
		len(d.Added), len(d.Fixed), d.Still, len(d.NotEvaluated), len(d.Checks))
	// "?": open before, and its check could not be evaluated this time.
	for _, sec := range []struct {
		mark string
		fs   []report.Finding
	}{{"+", d.Added}, {"-", d.Fixed}, {"?", d.NotEvaluated}} {
		for _, f := range sec.fs {
			fmt.Fprintf(&b, "%s %-8s %-14s %s %s: %s\n", sec.mark, f.Severity, cut(Clean(f.CheckID), 24), cut(Clean(f.Resource.Type), 24), cut(Clean(f.Resource.Name), 60), cut(Clean(f.Message), 200))
		}
	}
	for _, c := range d.Checks {
		fmt.Fprintf(&b, "~ %s %s → %s  %s\n", Clean(c.ID), c.Was, c.Now, Clean(c.Note))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
