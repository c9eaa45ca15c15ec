package pdf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/reporttest"
)

func need(t *testing.T, pkg, prog string) string {
	t.Helper()
	p, err := testbed.Need(pkg, prog)
	if err != nil {
		testbed.Missing(t, err)
	}
	return p
}

func render(t testing.TB, r *report.Report) string {
	t.Helper()
	buf := bytes.NewBuffer(reporttest.Render(t, Write, r))
	p := filepath.Join(t.TempDir(), "csaudit-report.pdf")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestSampleText(t *testing.T) {
	pdftotext := need(t, "poppler-utils", "pdftotext")
	qpdf := need(t, "qpdf", "qpdf")
	r := reporttest.Sample()
	file := render(t, r)
	run(t, qpdf, "--check", file)
	text := run(t, pdftotext, "-enc", "UTF-8", file, "-")
	// pdftotext joins wrapped lines with newlines; compare on single spaces.
	flat := strings.Join(strings.Fields(text), " ")

	for _, f := range r.Findings {
		if !strings.Contains(flat, f.CheckID) {
			t.Errorf("text lacks check id %s", f.CheckID)
		}
		name := strings.Join(strings.Fields(f.Resource.Name), " ")
		if f.Resource.Name == reporttest.CJK {
			name = "vm-??-01" // DejaVu Sans has no CJK glyphs
		}
		if !strings.Contains(flat, name) {
			t.Errorf("text lacks resource name %q", name)
		}
	}
	for _, want := range []string{
		reporttest.Cyrillic, reporttest.Greek, "Executive summary", "Checks not evaluated", "Expired waivers",
		"Unused waivers", "Collector errors", "host key mismatch", "Appendix", "ops-lead@example.org", "Remediation",
		"virsh destroy i-2-101-VM",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(text, "東") || strings.Contains(text, "\U0001F600") {
		t.Error("a rune DejaVu Sans lacks was not replaced by '?'")
	}
	if strings.ContainsAny(text, "\x1b\x00") {
		t.Error("control characters reached the PDF text")
	}

	pages := pageCount(t, file)
	for p := 1; p <= pages; p++ {
		if !strings.Contains(flat, fmt.Sprintf("page %d of %d", p, pages)) {
			t.Errorf("footer \"page %d of %d\" missing", p, pages)
		}
	}
}

func pageCount(t *testing.T, file string) int {
	t.Helper()
	pdfinfo := need(t, "poppler-utils", "pdfinfo")
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(run(t, pdfinfo, file))
	if m == nil {
		t.Fatal("pdfinfo shows no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestBookmarks(t *testing.T) {
	qpdf := need(t, "qpdf", "qpdf")
	file := render(t, reporttest.Sample())
	var doc struct {
		Outlines []struct {
			Title string `json:"title"`
			Kids  []struct {
				Title string `json:"title"`
			} `json:"kids"`
		} `json:"outlines"`
	}
	if err := json.Unmarshal([]byte(run(t, qpdf, "--json", "--json-key=outlines", file)), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range doc.Outlines {
		got = append(got, o.Title)
		for _, k := range o.Kids {
			got = append(got, "  "+k.Title)
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"Cover", "Executive summary", "Findings", "  CS-HA-001 — VM may be running on two hosts", "Waivers", "Collector errors", "Appendix: checks and their status"} {
		if !strings.Contains(all, want) {
			t.Errorf("outline lacks %q; got:\n%s", want, all)
		}
	}
}

// The same report gives the same bytes: the creation date is the report's.
func TestReproducible(t *testing.T) {
	var a, b bytes.Buffer
	if err := Write(&a, reporttest.Sample()); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, reporttest.Sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renders of one report differ")
	}
	if !bytes.Contains(a.Bytes(), []byte("D:20261120100000")) {
		t.Error("creation date is not the report's generated_at")
	}
}

var wordBox = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">`)

// Long values wrap inside the margins, also a name without any space.
func TestNothingRunsOffThePage(t *testing.T) {
	pdftotext := need(t, "poppler-utils", "pdftotext")
	r := reporttest.Sample()
	long := strings.Repeat("very-long-host-name-without-spaces-", 12)
	r.Findings[0].Resource.Name = long
	r.Findings[0].Message = strings.Repeat("a long message that goes on and on ", 30)
	r.CollectorErrors[0].Target = long
	r.Checks[0].NotEvaluated = []string{long, long + "2"}
	r.Waivers.Unused[0].Resource = long
	file := render(t, r)
	out := run(t, pdftotext, "-bbox", file, "-")
	boxes := wordBox.FindAllStringSubmatch(out, -1)
	if len(boxes) < 100 {
		t.Fatalf("only %d words found", len(boxes))
	}
	const pageW, pageH, edge = 595.28, 841.89, 18 * 72 / 25.4
	for _, b := range boxes {
		x0, _ := strconv.ParseFloat(b[1], 64)
		x1, _ := strconv.ParseFloat(b[3], 64)
		y1, _ := strconv.ParseFloat(b[4], 64)
		if x0 < edge-1 || x1 > pageW-edge+1 || y1 > pageH-5 {
			t.Errorf("word at x %.1f–%.1f, bottom %.1f is outside the margins", x0, x1, y1)
		}
	}
}

func TestAtScale(t *testing.T) {
	pdftotext := need(t, "poppler-utils", "pdftotext")
	r := reporttest.Large(3000)
	file := render(t, r)
	flat := strings.Join(strings.Fields(run(t, pdftotext, file, "-")), " ")
	per := map[string]int{}
	for _, f := range r.Findings {
		per[f.CheckID]++
	}
	for id, n := range per {
		if !strings.Contains(flat, id) {
			t.Errorf("text lacks check id %s", id)
		}
		if n > PerCheck && !strings.Contains(flat, fmt.Sprintf("and %d more (see CSV/JSON)", n-PerCheck)) {
			t.Errorf("check %s: no \"and %d more\" line", id, n-PerCheck)
		}
	}
}

func TestCoverage(t *testing.T) {
	cov, err := glyphs()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "aZ09κόμβοςузел✓€" {
		if !cov.has(r) {
			t.Errorf("DejaVu Sans should cover %q", r)
		}
	}
	for _, r := range "東京\uFFFF" {
		if cov.has(r) {
			t.Errorf("DejaVu Sans should not cover %q", r)
		}
	}
	if _, err := readCoverage([]byte("not a font")); err == nil {
		t.Error("garbage parsed as a font")
	}
}

func BenchmarkPDF10k(b *testing.B) {
	r := reporttest.Large(10000)
	b.ResetTimer()
	for b.Loop() {
		if err := Write(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// The control areas page lists every area with the report's score.
func TestControlAreas(t *testing.T) {
	pdftotext := need(t, "poppler-utils", "pdftotext")
	r := reporttest.Sample()
	if len(r.Controls) == 0 {
		t.Fatal("the sample has no control area")
	}
	flat := strings.Join(strings.Fields(run(t, pdftotext, "-enc", "UTF-8", render(t, r), "-")), " ")
	if !strings.Contains(flat, "Control areas") {
		t.Error("no Control areas section")
	}
	for _, c := range r.Controls {
		if want := c.Title + " " + c.ScoreText() + " " + fmt.Sprint(c.ChecksPassed) + " " + fmt.Sprint(c.ChecksFailed); !strings.Contains(flat, want) {
			t.Errorf("text lacks the row %q", want)
		}
	}
}
