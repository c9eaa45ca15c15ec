package html

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	stdhtml "html"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/report"

	"github.com/csaudit/csaudit/report/reporttest"
)

var _ = flag.Bool("update", false, reporttest.UpdateFlag)

func TestGolden(t *testing.T) {
	buf := bytes.NewBuffer(reporttest.Render(t, Write, reporttest.Sample()))
	reporttest.Golden(t, "sample.html", buf.Bytes())
}

func render(t *testing.T, r *report.Report) string {
	t.Helper()
	buf := bytes.NewBuffer(reporttest.Render(t, Write, r))
	return buf.String()
}

func TestHostileNamesAreText(t *testing.T) {
	out := render(t, reporttest.Sample())
	for _, raw := range []string{
		"<script>alert", "<img", "<svg/onload", "<b>cloud", "<em>really", `<i>"quoted`, "javascript:alert(1)\"", "\x1b", "\x00",
	} {
		if strings.Contains(out, raw) {
			t.Errorf("output contains %q unescaped", raw)
		}
	}
	for _, escaped := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;", "lab &lt;b&gt;cloud&lt;/b&gt;", "&lt;svg/onload=alert(2)&gt;"} {
		if !strings.Contains(out, escaped) {
			t.Errorf("output lacks the escaped form %q", escaped)
		}
	}
	if n := strings.Count(out, "<script"); n != 1 {
		t.Errorf("%d script elements, want exactly the embedded one", n)
	}
}

var inlineBlock = regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`)

// The CSP allows exactly the inline blocks the page carries, and nothing that
// loads from anywhere.
func TestCSPMatchesInlineBlocks(t *testing.T) {
	out := render(t, reporttest.Sample())
	m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(out)
	if m == nil {
		t.Fatal("no CSP meta tag")
	}
	policy := stdhtml.UnescapeString(m[1])
	if !strings.HasPrefix(policy, "default-src 'none';") {
		t.Errorf("CSP does not start from default-src 'none': %s", policy)
	}
	blocks := inlineBlock.FindAllStringSubmatch(out, -1)
	if len(blocks) != 3 {
		t.Fatalf("found %d inline blocks, want style, noscript style and script", len(blocks))
	}
	for _, b := range blocks {
		sum := sha256.Sum256([]byte(b[2]))
		h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(policy, b[1]+"-src "+h) && !strings.Contains(policy, h) {
			t.Errorf("CSP lacks the hash of an inline %s block", b[1])
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(policy, bad) {
			t.Errorf("CSP allows %q: %s", bad, policy)
		}
	}
	// Nothing in the page refers to another resource, except links a person
	// may click in the check references.
	for _, bad := range []string{"url(", "@import", "<link rel=\"stylesheet\"", "<iframe", "<object"} {
		if strings.Contains(out, bad) {
			t.Errorf("page refers to an external resource: %q", bad)
		}
	}
	if m := regexp.MustCompile(`<[a-z]+[^>]*\s(src|srcset|action|poster)=`).FindString(out); m != "" {
		t.Errorf("an element loads a resource: %s", m)
	}
}

func TestEveryFindingAndCheckShown(t *testing.T) {
	r := reporttest.Sample()
	out := render(t, r)
	for _, f := range r.Findings {
		if !strings.Contains(out, `id="f-`+f.ID+`"`) {
			t.Errorf("finding %s has no row", f.ID)
		}
	}
	for _, c := range r.Checks {
		if !strings.Contains(out, `id="check-`+c.ID+`"`) {
			t.Errorf("check %s has no row", c.ID)
		}
	}
	for _, want := range []string{"Checks not evaluated", "Expired waivers", "Unused waivers", "Collector errors", "host key mismatch", "ops-lead@example.org", "Findings by cluster", "@media print"} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// A report re-rendered from its saved JSON is the same page.
func TestReRenderFromJSON(t *testing.T) {
	r := reporttest.Sample()
	var js bytes.Buffer
	if err := report.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	back, err := report.DecodeJSON(js.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(render(t, r), render(t, back)); diff != "" {
		t.Errorf("re-rendered page differs (-direct +from JSON):\n%s", diff)
	}
}

func TestLargeIsPaged(t *testing.T) {
	out := render(t, reporttest.Large(1000))
	if n := strings.Count(out, `<tr class="pg-off"`); n != 1000-pageSize {
		t.Errorf("%d rows paged out in the markup, want %d", n, 1000-pageSize)
	}
}

func BenchmarkHTML10k(b *testing.B) {
	r := reporttest.Large(10000)
	b.ResetTimer()
	for b.Loop() {
		if err := Write(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// Every control area has a row with its score and, when scored, a bar of
// that width.
func TestControlAreasShown(t *testing.T) {
	r := reporttest.Sample()
	out := render(t, r)
	if len(r.Controls) == 0 {
		t.Fatal("the sample has no control area")
	}
	for _, c := range r.Controls {
		i := strings.Index(out, `<tr data-control="`+stdhtml.EscapeString(c.ID)+`">`)
		if i < 0 {
			t.Errorf("control %s has no row", c.ID)
			continue
		}
		row, _, _ := strings.Cut(out[i:], "</tr>")
		if !strings.Contains(row, "<td>"+c.ScoreText()+"</td>") {
			t.Errorf("control %s row lacks its score %s: %s", c.ID, c.ScoreText(), row)
		}
		if c.Score != nil && !strings.Contains(row, fmt.Sprintf(`width="%d" height="12" class="score"`, *c.Score)) {
			t.Errorf("control %s row lacks a bar of width %d: %s", c.ID, *c.Score, row)
		}
	}
}
