// Package pdf renders a Report as a PDF an auditor can file: cover, executive
// summary with a chart, findings grouped by check and severity, waivers,
// collector errors and an appendix of every check, with bookmarks and "page N
// of M" footers. Text is set in the embedded DejaVu Sans (fonts/LICENSE), so
// Cyrillic and Greek names render; a rune the font lacks (CJK, anything outside
// the Basic Multilingual Plane) prints as '?'. The
// creation date is the report's, so the same report gives the same bytes.
package pdf

import (
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode"

	"codeberg.org/go-pdf/fpdf"

	"github.com/csaudit/csaudit/report"
)

var (
	//go:embed fonts/DejaVuSans.ttf
	regularTTF []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	boldTTF []byte
)

// PerCheck is how many findings a check lists before "and N more"; the CSV and
// JSON reports carry them all.
const PerCheck = 50

// listCap bounds the other lists (waived findings, not-evaluated resources,
// collector errors) for the same reason.
const listCap = 200

var glyphs = sync.OnceValues(func() (*coverage, error) {
	// Bold and regular DejaVu Sans cover the same characters.
	return readCoverage(regularTTF)
})

type rgb struct{ r, g, b int }

var (
	sevColor = map[report.Severity]rgb{
		report.Critical: {139, 0, 0}, report.High: {209, 36, 47}, report.Medium: {191, 135, 0},
		report.Low: {9, 105, 218}, report.Info: {110, 119, 129},
	}
	statusColor = map[report.Status]rgb{
		report.Pass: {26, 127, 55}, report.Fail: {209, 36, 47}, report.Error: {139, 0, 0}, report.Skipped: {110, 119, 129},
	}
	black = rgb{27, 31, 36}
	grey  = rgb{91, 100, 112}
	line  = rgb{216, 221, 227}
	head  = rgb{243, 245, 247}
)

const (
	font    = "dejavu"
	margin  = 18.0
	bottom  = 20.0
	lineH   = 4.6
	smallLH = 3.9
)

type writer struct {
	f     *fpdf.Fpdf
	r     *report.Report
	cov   *coverage
	pageH float64
	width float64 // usable width between the margins
}

// Write renders r.
func Write(w io.Writer, r *report.Report) error {
	cov, err := glyphs()
	if err != nil {
		return fmt.Errorf("pdf font: %w", err)
	}
	f := fpdf.New("P", "mm", "A4", "")
	pw := &writer{f: f, r: r, cov: cov}
	pageW, pageH := f.GetPageSize()
	pw.pageH, pw.width = pageH, pageW-2*margin

	f.SetCompression(true)
	f.SetCatalogSort(true)
	f.SetCreationDate(r.GeneratedAt)
	f.SetModificationDate(r.GeneratedAt)
	f.SetTitle(pw.line("csaudit report "+r.Target.Name), true)
	f.SetSubject("Apache CloudStack audit", true)
	f.SetCreator(pw.line("csaudit "+r.Tool.Version), true)
	f.SetProducer("csaudit", true)
	f.AddUTF8FontFromBytes(font, "", regularTTF)
	f.AddUTF8FontFromBytes(font, "B", boldTTF)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, bottom)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(pw.footer)

	pw.cover()
	pw.summary()
	pw.notEvaluated()
	pw.findings()
	pw.waivers()
	pw.collectorErrors()
	pw.appendix()
	return f.Output(w)
}

// text makes s printable: control characters go (newlines stay for wrapped
// text), tabs become spaces, and a rune DejaVu Sans lacks becomes '?'.
func (w *writer) text(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r), report.IsBidiControl(r):
			return -1
		case r > 0xFFFF || !w.cov.has(r):
			// fpdf's font subsetter handles the Basic Multilingual Plane only.
			return '?'
		}
		return r
	}, s)
}

// line is text for a single-line cell.
func (w *writer) line(s string) string {
	return strings.ReplaceAll(w.text(s), "\n", " ")
}

func (w *writer) color(c rgb) { w.f.SetTextColor(c.r, c.g, c.b) }
func (w *writer) font(size float64, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	w.f.SetFont(font, style, size)
}

func (w *writer) footer() {
	f := w.f
	f.SetY(-13)
	w.font(7.5, false)
	w.color(grey)
	left := "csaudit report"
	if w.r.Target.Name != "" {
		left += " · " + w.r.Target.Name
	}
	left += " · generated " + stamp(w.r)
	f.CellFormat(w.width*0.75, 5, w.fit(w.line(left), w.width*0.75), "", 0, "L", false, 0, "")
	f.CellFormat(w.width*0.25, 5, fmt.Sprintf("page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
	w.color(black)
}

// fit shortens a single line to width.
func (w *writer) fit(s string, width float64) string {
	if w.f.GetStringWidth(s) <= width-2 {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && w.f.GetStringWidth(string(r)+"…") > width-2 {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func stamp(r *report.Report) string {
	if r.GeneratedAt.IsZero() {
		return "-"
	}
	return r.GeneratedAt.UTC().Format("2006-01-02 15:04Z")
}

// section starts a top-level part on a new page with a bookmark.
func (w *writer) section(title string) {
	w.f.AddPage()
	w.f.Bookmark(w.line(title), 0, -1)
	w.font(16, true)
	w.color(black)
	w.f.CellFormat(0, 9, w.line(title), "", 1, "L", false, 0, "")
	w.f.Ln(2)
}

// need starts a new page unless h millimetres are left, so a heading is never
// the last line on a page.
func (w *writer) need(h float64) {
	if w.f.GetY()+h > w.pageH-bottom {
		w.f.AddPage()
	}
}

func (w *writer) heading(s string, size float64, bookmark int) {
	w.need(22)
	w.f.Ln(2)
	if bookmark >= 0 {
		w.f.Bookmark(w.line(s), bookmark, -1)
	}
	w.font(size, true)
	w.color(black)
	w.f.MultiCell(0, size*0.5, w.text(s), "", "L", false)
	w.f.Ln(1)
}

func (w *writer) para(s string) {
	w.font(9.5, false)
	w.color(black)
	w.f.MultiCell(0, lineH, w.text(s), "", "L", false)
	w.f.Ln(1)
}

func (w *writer) small(s string, c rgb) {
	w.font(8, false)
	w.color(c)
	w.f.MultiCell(0, smallLH, w.text(s), "", "L", false)
	w.color(black)
}

// kv prints "label  value" lines with the value wrapped beside the label.
func (w *writer) kv(label, value string) {
	f := w.f
	w.font(9.5, true)
	f.CellFormat(42, lineH, w.line(label), "", 0, "L", false, 0, "")
	w.font(9.5, false)
	f.MultiCell(0, lineH, w.text(orDash(value)), "", "L", false)
}

// count writes "1 finding", "2 findings".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// chip draws a coloured severity or status label at the current position.
func (w *writer) chip(label string, c rgb, width float64) {
	w.f.SetFillColor(c.r, c.g, c.b)
	w.f.SetTextColor(255, 255, 255)
	w.font(7.5, true)
	w.f.CellFormat(width, 4.6, w.line(label), "", 0, "C", true, 0, "")
	w.color(black)
}

// table draws rows of wrapped cells; a row that does not fit starts a new page
// and repeats the header. A cell is cut at maxLines so no row outgrows a page.
type table struct {
	w      *writer
	widths []float64
	header []string
}

const maxLines = 30

func (w *writer) table(header []string, widths []float64) *table {
	t := &table{w: w, widths: widths, header: header}
	t.row(header, true)
	return t
}

func (t *table) row(cells []string, isHeader bool) {
	w, f := t.w, t.w.f
	size := 8.5
	w.font(size, isHeader)
	lines := make([][]string, len(cells))
	n := 1
	for i, c := range cells {
		ls := f.SplitText(w.text(c), t.widths[i])
		if len(ls) == 0 {
			ls = []string{""}
		}
		if len(ls) > maxLines {
			ls = append(ls[:maxLines-1], "…")
		}
		lines[i] = ls
		n = max(n, len(ls))
	}
	h := float64(n)*smallLH + 2
	if f.GetY()+h > w.pageH-bottom {
		f.AddPage()
		if !isHeader {
			t.row(t.header, true)
			w.font(size, false)
		}
	}
	x0, y0 := f.GetX(), f.GetY()
	total := 0.0
	for _, wd := range t.widths {
		total += wd
	}
	if isHeader {
		f.SetFillColor(head.r, head.g, head.b)
		f.Rect(x0, y0, total, h, "F")
	}
	x := x0
	for i, ls := range lines {
		for j, l := range ls {
			f.SetXY(x, y0+1+float64(j)*smallLH)
			f.CellFormat(t.widths[i], smallLH, l, "", 0, "L", false, 0, "")
		}
		x += t.widths[i]
	}
	f.SetDrawColor(line.r, line.g, line.b)
	f.Line(x0, y0+h, x0+total, y0+h)
	f.SetXY(x0, y0+h)
}

func (w *writer) cover() {
	f, r := w.f, w.r
	f.AddPage()
	f.Bookmark("Cover", 0, -1)
	f.SetY(60)
	w.font(26, true)
	w.color(black)
	f.MultiCell(0, 12, "Apache CloudStack audit report", "", "L", false)
	f.Ln(2)
	w.font(15, false)
	w.color(grey)
	f.MultiCell(0, 8, w.text(orDash(r.Target.Name)), "", "L", false)
	w.color(black)
	f.Ln(10)
	w.kv("CloudStack", r.Target.CloudStackVersion)
	w.kv("Inventory", fmt.Sprintf("%d zones, %d clusters, %d hosts, %d VMs", r.Target.Zones, r.Target.Clusters, r.Target.Hosts, r.Target.VMs))
	if r.Target.Database != "" {
		w.kv("Database", r.Target.Database)
	}
	w.kv("Report generated", stamp(r))
	collected := "-"
	if !r.Snapshot.CollectedAt.IsZero() {
		collected = r.Snapshot.CollectedAt.UTC().Format("2006-01-02 15:04:05Z")
	}
	if r.Snapshot.DBNow != nil {
		collected += " (database clock " + r.Snapshot.DBNow.UTC().Format("2006-01-02 15:04:05Z") + ")"
	}
	w.kv("Facts collected", collected)
	w.kv("Tool", r.Tool.Name+" "+r.Tool.Version)
	// A SHA-256 fits on one line only in a smaller size.
	w.font(9.5, true)
	w.f.CellFormat(42, lineH, "Snapshot SHA-256", "", 0, "L", false, 0, "")
	w.font(8, false)
	w.f.MultiCell(0, lineH, w.text(orDash(r.Snapshot.SHA256)), "", "L", false)
	if r.Lab {
		f.Ln(4)
		w.para("Target: the embedded lab cloud (demo data).")
	}
	f.Ln(10)
	s := r.Summary
	x := f.GetX()
	for _, sev := range report.Severities {
		c := sevColor[sev]
		f.SetFillColor(c.r, c.g, c.b)
		f.Rect(x, f.GetY(), 1.6, 14, "F")
		f.SetXY(x+3, f.GetY())
		w.font(16, true)
		f.CellFormat(27, 8, fmt.Sprint(s.BySeverity[sev]), "", 2, "L", false, 0, "")
		w.font(8.5, false)
		f.CellFormat(27, 5, string(sev), "", 0, "L", false, 0, "")
		x += w.width / 5
		f.SetXY(x, f.GetY()-8)
	}
	f.SetXY(margin, f.GetY()+18)
	w.para(fmt.Sprintf("%s, %d of them waived. %s: %d passed, %d failed, %d error, %d skipped. %s.",
		count(s.Findings, "finding"), s.Waived, count(len(r.Checks), "check"), s.ChecksPassed, s.ChecksFailed, s.ChecksError, s.ChecksSkipped, count(s.CollectorErrors, "collector error")))
}

func (w *writer) summary() {
	r, f := w.r, w.f
	s := r.Summary
	w.section("Executive summary")
	open := s.Findings - s.Waived
	text := fmt.Sprintf("The audit evaluated %s against a snapshot of %s (CloudStack %s) and found %s: %d open and %d waived. ",
		count(len(r.Checks), "check"), orDash(r.Target.Name), orDash(r.Target.CloudStackVersion), count(s.Findings, "problem"), open, s.Waived)
	text += fmt.Sprintf("%d critical and %d high findings need attention first. ", s.BySeverity[report.Critical], s.BySeverity[report.High])
	if s.ChecksError > 0 {
		text += fmt.Sprintf("%s could not be evaluated for some resources because facts were missing; missing data is never a pass (see \"Checks not evaluated\"). ", count(s.ChecksError, "check"))
	}
	if s.CollectorErrors > 0 {
		text += fmt.Sprintf("%s occurred (see \"Collector errors\").", count(s.CollectorErrors, "collector error"))
	}
	w.para(text)
	if h := r.HistoryLine(); h != "" {
		w.para(h)
	}

	w.heading("Findings by severity", 11, -1)
	var bars []barItem
	for _, sev := range report.Severities {
		bars = append(bars, barItem{string(sev), s.BySeverity[sev], sevColor[sev]})
	}
	w.bars(bars)
	w.heading("Checks by status", 11, -1)
	w.bars([]barItem{
		{"pass", s.ChecksPassed, statusColor[report.Pass]}, {"fail", s.ChecksFailed, statusColor[report.Fail]},
		{"error", s.ChecksError, statusColor[report.Error]}, {"skipped", s.ChecksSkipped, statusColor[report.Skipped]},
	})

	cats := map[string][2]int{}
	clusters := map[string]int{}
	for _, fd := range r.Findings {
		c := fd.Category
		if c == "" {
			if ch := r.CheckByID(fd.CheckID); ch != nil {
				c = ch.Category
			}
		}
		v := cats[orDash(c)]
		v[0]++
		if fd.Status != report.Waived {
			v[1]++
		}
		cats[orDash(c)] = v
		if cl := fd.Cluster(); cl != "" {
			clusters[cl]++
		}
	}
	if len(cats) > 0 {
		w.heading("Findings by category", 11, -1)
		t := w.table([]string{"Category", "Findings", "Open"}, []float64{90, 40, 40})
		for _, k := range sortedKeys(cats) {
			t.row([]string{k, fmt.Sprint(cats[k][0]), fmt.Sprint(cats[k][1])}, false)
		}
	}
	if len(clusters) > 0 {
		w.heading("Findings by cluster (top 10)", 11, -1)
		type kc struct {
			k string
			n int
		}
		var list []kc
		for k, n := range clusters {
			list = append(list, kc{k, n})
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].n != list[j].n {
				return list[i].n > list[j].n
			}
			return list[i].k < list[j].k
		})
		t := w.table([]string{"Cluster", "Findings"}, []float64{130, 40})
		for i, c := range list {
			if i == 10 {
				break
			}
			t.row([]string{c.k, fmt.Sprint(c.n)}, false)
		}
	}
	_ = f
}

type barItem struct {
	label string
	n     int
	c     rgb
}

// bars draws a horizontal bar chart with vector rectangles.
func (w *writer) bars(items []barItem) {
	f := w.f
	w.need(float64(len(items))*6 + 4)
	mx := 0
	for _, it := range items {
		mx = max(mx, it.n)
	}
	const labelW, barMax = 28.0, 110.0
	for _, it := range items {
		y := f.GetY()
		w.font(8.5, false)
		f.CellFormat(labelW, 5, w.line(it.label), "", 0, "R", false, 0, "")
		bw := 0.0
		if mx > 0 {
			bw = float64(it.n) * barMax / float64(mx)
		}
		if it.n > 0 && bw < 0.8 {
			bw = 0.8
		}
		f.SetFillColor(it.c.r, it.c.g, it.c.b)
		if bw > 0 {
			f.Rect(margin+labelW+2, y+0.6, bw, 3.8, "F")
		}
		f.SetXY(margin+labelW+4+bw, y)
		f.CellFormat(20, 5, fmt.Sprint(it.n), "", 1, "L", false, 0, "")
		f.SetX(margin)
		f.SetY(y + 6)
	}
	f.Ln(2)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (w *writer) notEvaluated() {
	var bad []report.Check
	for _, c := range w.r.Checks {
		if c.Status == report.Error {
			bad = append(bad, c)
		}
	}
	if len(bad) == 0 {
		return
	}
	w.section("Checks not evaluated")
	w.para("These checks ended in status error: a fact they need failed for the resources listed, so they could not be evaluated there. Missing data is never a pass.")
	t := w.table([]string{"Check", "Title", "Reason", "Not evaluated"}, []float64{26, 44, 44, w.width - 114})
	for _, c := range bad {
		t.row([]string{c.ID, c.Title, orDash(c.StatusReason), capList(c.NotEvaluated, listCap)}, false)
	}
}

func capList(ss []string, n int) string {
	if len(ss) <= n {
		return orDash(strings.Join(ss, ", "))
	}
	return strings.Join(ss[:n], ", ") + fmt.Sprintf(" … and %d more (see CSV/JSON)", len(ss)-n)
}

func (w *writer) findings() {
	r, f := w.r, w.f
	w.section("Findings")
	if len(r.Findings) == 0 {
		w.para("No findings.")
		return
	}
	w.para(fmt.Sprintf("Findings are grouped by check, most severe first. Each check lists up to %d findings; the CSV and JSON reports hold all of them. Commands are for a person to review and run; csaudit never runs them.", PerCheck))
	// Findings are sorted by severity first; grouping by check in order of
	// first appearance keeps the most severe checks first.
	var order []string
	groups := map[string][]int{}
	for i, fd := range r.Findings {
		if _, ok := groups[fd.CheckID]; !ok {
			order = append(order, fd.CheckID)
		}
		groups[fd.CheckID] = append(groups[fd.CheckID], i)
	}
	for _, id := range order {
		idx := groups[id]
		first := &r.Findings[idx[0]]
		title := first.Title
		c := r.CheckByID(id)
		if c != nil && c.Title != "" {
			title = c.Title
		}
		waived := 0
		for _, i := range idx {
			if r.Findings[i].Status == report.Waived {
				waived++
			}
		}
		w.heading(id+" — "+title, 12, 1)
		meta := fmt.Sprintf("%s (%d open, %d waived)", count(len(idx), "finding"), len(idx)-waived, waived)
		if c != nil {
			meta = fmt.Sprintf("Severity %s · category %s · status %s · ", c.Severity, orDash(c.Category), c.Status) + meta
		}
		w.small(meta, grey)
		if c != nil && c.Description != "" {
			w.para(c.Description)
		}
		rem := first.Remediation
		if c != nil && c.Remediation != nil && c.Remediation.Summary != "" {
			rem = *c.Remediation
		}
		if rem.Summary != "" || len(rem.Steps) > 0 {
			w.font(9.5, true)
			f.CellFormat(0, lineH, "Remediation", "", 1, "L", false, 0, "")
			w.para(rem.Summary)
			for i, s := range rem.Steps {
				w.para(fmt.Sprintf("%d. %s", i+1, s))
			}
		}
		shown := 0
		var sev report.Severity = "-"
		for _, i := range idx {
			if shown == PerCheck {
				break
			}
			fd := &r.Findings[i]
			if fd.Severity != sev {
				sev = fd.Severity
				n := 0
				for _, j := range idx {
					if r.Findings[j].Severity == sev {
						n++
					}
				}
				w.need(20)
				f.Ln(1)
				w.chip(string(sev), sevColor[sev], 20)
				w.font(9, true)
				f.CellFormat(0, 4.6, "  "+count(n, string(sev)+" finding"), "", 1, "L", false, 0, "")
				f.Ln(1)
			}
			w.finding(fd)
			shown++
		}
		if rest := len(idx) - shown; rest > 0 {
			w.font(9.5, true)
			w.color(grey)
			f.MultiCell(0, lineH, fmt.Sprintf("… and %d more (see CSV/JSON)", rest), "", "L", false)
			w.color(black)
		}
	}
}

func (w *writer) finding(fd *report.Finding) {
	f := w.f
	w.need(16)
	w.font(9.5, true)
	status := fd.Status
	if fd.Status == report.Waived {
		status = "WAIVED"
	}
	f.MultiCell(0, lineH, w.text(fd.Resource.Type+" "+fd.Resource.Label()+"  ["+status+"]"), "", "L", false)
	w.para(fd.Message)
	ids := "finding " + fd.ID
	if fd.Resource.UUID != "" {
		ids += " · uuid " + fd.Resource.UUID
	}
	if fd.Resource.ID != "" {
		ids += " · id " + fd.Resource.ID
	}
	w.small(ids, grey)
	if len(fd.Evidence) > 0 {
		var parts []string
		for _, k := range sortedKeys(fd.Evidence) {
			parts = append(parts, fmt.Sprintf("%s=%v", k, fd.Evidence[k]))
		}
		w.small("evidence: "+strings.Join(parts, "; "), grey)
	}
	for _, c := range fd.Remediation.Commands {
		w.small(c.Kind+": "+c.Text, black)
	}
	if fd.Waiver != nil {
		w.small(fmt.Sprintf("Waived until %s by %s: %s", fd.Waiver.Expires, fd.Waiver.Approver, fd.Waiver.Justification), rgb{9, 105, 218})
	}
	if age := fd.Age(w.r.GeneratedAt); age != "" {
		w.small(fmt.Sprintf("%s (first seen %s)", age, fd.FirstSeen.UTC().Format("2006-01-02 15:04 UTC")), black)
	}
	f.Ln(1)
	f.SetDrawColor(line.r, line.g, line.b)
	f.Line(margin, f.GetY(), margin+w.width, f.GetY())
	f.Ln(1.5)
}

func (w *writer) waivers() {
	r := w.r
	w.section("Waivers")
	w.heading("Waived findings", 11, 1)
	var waived []*report.Finding
	for i := range r.Findings {
		if r.Findings[i].Status == report.Waived {
			waived = append(waived, &r.Findings[i])
		}
	}
	if len(waived) == 0 {
		w.para("No finding is waived.")
	} else {
		t := w.table([]string{"Check", "Resource", "Justification", "Approver", "Expires"}, []float64{26, 40, w.width - 26 - 40 - 36 - 22, 36, 22})
		for i, fd := range waived {
			if i == listCap {
				t.row([]string{"", fmt.Sprintf("… and %d more (see CSV/JSON)", len(waived)-i), "", "", ""}, false)
				break
			}
			var j, a, e string
			if fd.Waiver != nil {
				j, a, e = fd.Waiver.Justification, fd.Waiver.Approver, fd.Waiver.Expires
			}
			t.row([]string{fd.CheckID, fd.Resource.Type + " " + fd.Resource.Label(), j, a, e}, false)
		}
	}
	for _, l := range []struct {
		title, note string
		list        []report.Waiver
	}{
		{"Expired waivers", "An expired waiver no longer applies: its findings are open again.", r.Waivers.Expired},
		{"Unused waivers", "These waivers matched no finding.", r.Waivers.Unused},
	} {
		w.heading(l.title, 11, 1)
		w.para(l.note)
		if len(l.list) == 0 {
			w.para("None.")
			continue
		}
		t := w.table([]string{"Check", "Resource", "Justification", "Approver", "Expires"}, []float64{26, 40, w.width - 26 - 40 - 36 - 22, 36, 22})
		for i, wv := range l.list {
			if i == listCap {
				t.row([]string{"", fmt.Sprintf("… and %d more (see JSON)", len(l.list)-i), "", "", ""}, false)
				break
			}
			t.row([]string{wv.Check, wv.Resource, wv.Justification, wv.Approver, wv.Expires}, false)
		}
	}
}

func (w *writer) collectorErrors() {
	r := w.r
	w.section("Collector errors")
	if len(r.CollectorErrors) == 0 {
		w.para("None: every selected collector reached every target.")
		return
	}
	w.para("A collector error means some facts are missing; checks that need them report status error for the affected resources.")
	t := w.table([]string{"Collector", "Target", "Error"}, []float64{26, 44, w.width - 70})
	for i, e := range r.CollectorErrors {
		if i == listCap {
			t.row([]string{"", fmt.Sprintf("… and %d more (see JSON)", len(r.CollectorErrors)-i), ""}, false)
			break
		}
		t.row([]string{e.Collector, e.Target, e.Error}, false)
	}
}

func (w *writer) appendix() {
	r := w.r
	w.section("Appendix: checks and their status")
	if len(r.Checks) == 0 {
		w.para("No checks.")
		return
	}
	t := w.table([]string{"Check", "Title", "Severity", "Category", "Status", "Findings"}, []float64{26, w.width - 26 - 18 - 24 - 16 - 16, 18, 24, 16, 16})
	for _, c := range r.Checks {
		t.row([]string{c.ID, c.Title, string(c.Severity), c.Category, string(c.Status), fmt.Sprint(c.Findings)}, false)
	}
	w.heading("Check details", 11, 1)
	for _, c := range r.Checks {
		w.need(18)
		w.font(9.5, true)
		w.f.MultiCell(0, lineH, w.text(c.ID+" — "+c.Title+" ("+string(c.Status)+")"), "", "L", false)
		if c.Description != "" {
			w.small(c.Description, black)
		}
		if c.StatusReason != "" {
			w.small("Status reason: "+c.StatusReason, grey)
		}
		if len(c.NotEvaluated) > 0 {
			w.small("Not evaluated: "+capList(c.NotEvaluated, listCap), grey)
		}
		if len(c.Controls) > 0 {
			w.small("Controls: "+strings.Join(c.Controls, ", "), grey)
		}
		if len(c.References) > 0 {
			w.small("References: "+strings.Join(c.References, " "), grey)
		}
		w.f.Ln(1.5)
	}
}
