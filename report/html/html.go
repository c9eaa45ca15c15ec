// Package html renders a Report as one self-contained HTML file: inline CSS,
// JS and SVG, a Content-Security-Policy that allows only those inline blocks
// (by hash), and no external request. Every value from the report goes through
// html/template's contextual escaping; the script only moves existing rows and
// sets text, so hostile names stay text.
package html

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/csaudit/csaudit/report"
)

var (
	//go:embed report.html.tmpl
	pageTmpl string
	//go:embed style.css
	style string
	//go:embed script.js
	script string
)

// pageSize rows are shown at first; the rest are marked paged-out in the
// markup, so a browser lays out 100 rows, not 10,000, before the script runs.
// Without the script, noScript shows them all.
const (
	pageSize = 100
	noScript = ".pg-off{display:table-row}"
)

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{"join": strings.Join,
	"mib": func(b int64) int64 { return b >> 20 }, "gib": func(b int64) int64 { return b >> 30 }}).Parse(pageTmpl))

// csp allows nothing but the inline blocks, identified by their hashes, and
// data: images (the empty favicon), so even injected markup could not load or
// run anything.
var csp = "default-src 'none'; script-src '" + hash(script) + "'; style-src '" + hash(style) +
	"' '" + hash(noScript) + "'; img-src data:; base-uri 'none'; form-action 'none'"

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

type page struct {
	R         *report.Report
	CSP       string
	Style     template.CSS
	NoScript  template.CSS
	PageSize  int
	Script    template.JS
	Title     string
	Generated string
	Collected string
	DBNow     string
	Severity  []sevCount
	Charts    []chart
	Findings  []finding
	Waived    []finding
	Facets    facets
	Errors    []report.Check
	Checks    []check
	// Plan groups a readiness report's moves by destination host.
	Plan []destination
}

type destination struct {
	To    string
	Moves []report.Move
}

type sevCount struct {
	Name  string
	Count int
}

type facets struct {
	Severities, Categories, Types []string
}

type finding struct {
	*report.Finding
	Rank     int
	Category string
	ResName  string
	Evidence []kv
	AgeText  string // with --history: "open 14 days"
}

type kv struct{ K, V string }

type check struct {
	*report.Check
	Links []string
	Texts []string
}

// Write renders r.
func Write(w io.Writer, r *report.Report) error {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, build(r)); err != nil {
		return err
	}
	// The template, CSS and JS hold no control characters, so stripping them
	// from the whole page removes exactly those that came from the report, in
	// every field at once, without touching the hashed inline blocks.
	_, err := w.Write(bytes.Map(inert, buf.Bytes()))
	return err
}

// inert drops C0/C1 controls other than tab and newline, and the bidirectional
// overrides that could make a hostile name display as something else.
func inert(r rune) rune {
	switch {
	case r == '\t' || r == '\n':
		return r
	case r < 0x20, r >= 0x7F && r <= 0x9F:
		return -1
	case report.IsBidiControl(r):
		return -1
	}
	return r
}

func build(r *report.Report) *page {
	p := &page{
		R: r, CSP: csp, Style: template.CSS(style), NoScript: noScript, PageSize: pageSize, Script: template.JS(script),
		Generated: stamp(r.GeneratedAt), Collected: stamp(r.Snapshot.CollectedAt), DBNow: "-",
	}
	p.Title = "csaudit report"
	if r.Target.Name != "" {
		p.Title += " — " + r.Target.Name
	}
	if r.Snapshot.DBNow != nil {
		p.DBNow = stamp(*r.Snapshot.DBNow)
	}
	checkCat := map[string]string{}
	for i := range r.Checks {
		c := &r.Checks[i]
		checkCat[c.ID] = c.Category
		cv := check{Check: c}
		for _, ref := range c.References {
			if safeLink(ref) {
				cv.Links = append(cv.Links, ref)
			} else {
				cv.Texts = append(cv.Texts, ref)
			}
		}
		p.Checks = append(p.Checks, cv)
		if c.Status == report.Error {
			p.Errors = append(p.Errors, *c)
		}
	}

	bySev := map[string]int{}
	byCat := map[string]int{}
	byCluster := map[string]int{}
	cats, types := map[string]bool{}, map[string]bool{}
	p.Findings = make([]finding, len(r.Findings))
	for i := range r.Findings {
		f := &r.Findings[i]
		cat := f.Category
		if cat == "" {
			cat = checkCat[f.CheckID]
		}
		fv := finding{Finding: f, Rank: f.Severity.Rank(), Category: cat, ResName: f.Resource.Label(), Evidence: evidence(f.Evidence), AgeText: f.Age(r.GeneratedAt)}
		p.Findings[i] = fv
		if f.Status == report.Waived {
			p.Waived = append(p.Waived, fv)
		}
		bySev[string(f.Severity)]++
		byCat[orNone(cat)]++
		if c := f.Cluster(); c != "" {
			byCluster[c]++
		}
		cats[cat], types[f.Resource.Type] = true, true
	}
	for _, s := range report.Severities {
		p.Severity = append(p.Severity, sevCount{string(s), r.Summary.BySeverity[s]})
		p.Facets.Severities = append(p.Facets.Severities, string(s))
	}
	if rd := r.Readiness; rd != nil {
		at := map[string]int{}
		for _, h := range rd.Hosts {
			for _, m := range h.Moves {
				k := m.To.Label()
				i, ok := at[k]
				if !ok {
					i = len(p.Plan)
					at[k] = i
					p.Plan = append(p.Plan, destination{To: k})
				}
				p.Plan[i].Moves = append(p.Plan[i].Moves, m)
			}
		}
		sort.SliceStable(p.Plan, func(i, j int) bool { return p.Plan[i].To < p.Plan[j].To })
	}
	p.Facets.Categories = sortedKeys(cats)
	p.Facets.Types = sortedKeys(types)

	var sevBars []bar
	for _, s := range report.Severities {
		sevBars = append(sevBars, bar{Label: string(s), Value: bySev[string(s)], Class: "sev-" + string(s)})
	}
	p.Charts = append(p.Charts, newChart("Findings by severity", sevBars))
	p.Charts = append(p.Charts, newChart("Findings by category", topBars(byCat, 10)))
	if len(byCluster) > 0 {
		p.Charts = append(p.Charts, newChart("Findings by cluster", topBars(byCluster, 10)))
	}
	return p
}

// safeLink reports whether a reference may become a link: only http(s);
// anything else (javascript:, file:, relative) is shown as text.
func safeLink(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func evidence(m map[string]any) []kv {
	if len(m) == 0 {
		return nil
	}
	out := make([]kv, 0, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			b, err := json.Marshal(v)
			if err != nil {
				s = "?"
			} else {
				s = string(b)
			}
		}
		out = append(out, kv{k, s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].K < out[j].K })
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// A chart is a horizontal bar chart drawn as SVG; geometry is computed here so
// the template only places numbers.
type chart struct {
	Title  string
	Height int
	Bars   []bar
}

type bar struct {
	Label string
	Value int
	Class string
	Y     int // top of the row
	TextY int
	W     int // bar width
	NumX  int
}

const (
	barRow   = 22
	barLeft  = 130
	barMax   = 190
	chartPad = 4
)

func newChart(title string, bars []bar) chart {
	max := 0
	for _, b := range bars {
		if b.Value > max {
			max = b.Value
		}
	}
	for i := range bars {
		b := &bars[i]
		b.Y = chartPad + i*barRow
		b.TextY = b.Y + 15
		if max > 0 {
			b.W = b.Value * barMax / max
		}
		if b.Value > 0 && b.W < 2 {
			b.W = 2
		}
		b.NumX = barLeft + b.W + 6
		if b.Class == "" {
			b.Class = "bar"
		}
		b.Label = truncate(b.Label, 18)
	}
	return chart{Title: title, Height: chartPad*2 + len(bars)*barRow, Bars: bars}
}

// topBars keeps the n largest groups and folds the rest into "other".
func topBars(m map[string]int, n int) []bar {
	var bars []bar
	for k, v := range m {
		bars = append(bars, bar{Label: k, Value: v})
	}
	sort.Slice(bars, func(i, j int) bool {
		if bars[i].Value != bars[j].Value {
			return bars[i].Value > bars[j].Value
		}
		return bars[i].Label < bars[j].Label
	})
	if len(bars) > n {
		rest := 0
		for _, b := range bars[n-1:] {
			rest += b.Value
		}
		bars = append(bars[:n-1], bar{Label: "other", Value: rest})
	}
	return bars
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
