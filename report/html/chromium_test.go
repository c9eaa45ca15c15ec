package html

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/reporttest"
)

// Flags from testbed.md §6: headless without sandbox or GPU, and as little
// background networking as Chromium allows.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

type browserRun struct {
	DOM      string
	Stderr   string
	Requests []string // network requests the page started (not Chromium's own)
}

func needChromium(t *testing.T) string {
	t.Helper()
	bin, err := testbed.Need("chromium", "chromium", "chromium-browser", "google-chrome")
	if err != nil {
		testbed.Missing(t, err)
	}
	return bin
}

// load opens file in headless Chromium, dumps the DOM after scripts ran, and
// records console output and a net log.
func load(t *testing.T, bin, file string, extra ...string) browserRun {
	t.Helper()
	return loadURL(t, bin, "file://"+file, extra...)
}

func loadURL(t *testing.T, bin, url string, extra ...string) browserRun {
	t.Helper()
	dir := t.TempDir()
	netlog := filepath.Join(dir, "netlog.json")
	stderr := filepath.Join(dir, "stderr.txt")
	args := append(append([]string{}, chromiumFlags...),
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0",
		"--log-net-log="+netlog,
	)
	args = append(append(args, extra...), "--dump-dom", url)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ef, err := os.Create(stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, ef
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(stderr)
		t.Fatalf("chromium: %v\n%s", err, tail(string(b)))
	}
	b, _ := os.ReadFile(stderr)
	return browserRun{DOM: out.String(), Stderr: string(b), Requests: pageRequests(t, netlog)}
}

// pageRequests lists the URLs of network requests in a Chromium net log that
// a page started. Chromium's own traffic (time sync, updates, accounts) has
// the initiator "not an origin"; anything a file:// page starts has its
// (opaque) origin instead.
func pageRequests(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("net log: %v", err)
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int            `json:"type"`
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		// Chromium may leave the closing brackets off when it exits quickly.
		if err := json.Unmarshal(append(bytes.TrimRight(bytes.TrimSpace(b), ","), []byte("]}")...), &log); err != nil {
			t.Fatalf("net log: %v", err)
		}
	}
	start, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		t.Fatal("net log has no URL_REQUEST_START_JOB event type")
	}
	var urls []string
	for _, e := range log.Events {
		if e.Type != start {
			continue
		}
		u, _ := e.Params["url"].(string)
		init, _ := e.Params["initiator"].(string)
		if u == "" || init == "not an origin" {
			continue
		}
		for _, scheme := range []string{"http:", "https:", "ws:", "wss:", "ftp:"} {
			if strings.HasPrefix(u, scheme) {
				urls = append(urls, init+" -> "+u)
			}
		}
	}
	return urls
}

func scriptErrors(stderr string) []string {
	var bad []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, "Refused to") {
			bad = append(bad, line)
		}
	}
	return bad
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The detectors must be able to fail: a page without CSP that fetches from
// the network and throws is caught by both.
func TestChromiumDetectorsCatchACanary(t *testing.T) {
	bin := needChromium(t)
	port, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf(`<!DOCTYPE html><html><body><img src="http://127.0.0.1:%d/x.png"><script>notDefined();</script></body></html>`, port)
	run := load(t, bin, writeFile(t, t.TempDir(), "canary.html", []byte(page)))
	if len(run.Requests) == 0 {
		t.Error("the net-log check missed the canary's image request")
	}
	if len(scriptErrors(run.Stderr)) == 0 {
		t.Errorf("the console check missed the canary's uncaught error; stderr:\n%s", tail(run.Stderr))
	}
}

func TestChromiumSample(t *testing.T) {
	bin := needChromium(t)
	buf := bytes.NewBuffer(reporttest.Render(t, Write, reporttest.Sample()))
	file := writeFile(t, t.TempDir(), "csaudit-report.html", buf.Bytes())
	run := load(t, bin, file)

	if len(run.Requests) > 0 {
		t.Errorf("the report made network requests: %q", run.Requests)
	}
	if bad := scriptErrors(run.Stderr); len(bad) > 0 {
		t.Errorf("script errors or CSP violations:\n%s", strings.Join(bad, "\n"))
	}
	if !strings.Contains(run.DOM, `data-csaudit-ready="1"`) {
		t.Errorf("the script did not run to the end (no ready marker); stderr:\n%s", tail(run.Stderr))
	}
	// Hostile names are text: the DOM has exactly one script element (ours)
	// and no img element, and the names appear escaped.
	if n := strings.Count(run.DOM, "<script"); n != 1 {
		t.Errorf("DOM has %d script elements, want 1", n)
	}
	if strings.Contains(run.DOM, "<img") {
		t.Error("a hostile name became an img element")
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "\"&gt;&lt;img src=x onerror=alert(1)&gt;", reporttest.Cyrillic, reporttest.Greek} {
		if !strings.Contains(run.DOM, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	// The pager ran: it reports the rows it shows.
	if !strings.Contains(run.DOM, "1–8 of 8 findings") {
		t.Errorf("pager text missing from the DOM")
	}

	// A screenshot for a person to look at; CI keeps testdata/artifacts.
	art, err := filepath.Abs(filepath.Join("testdata", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(art, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(art, "sample.png")
	_ = os.Remove(shot)
	dir := t.TempDir()
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+filepath.Join(dir, "profile"),
		"--hide-scrollbars", "--window-size=1280,2200", "--screenshot="+shot, "file://"+file)
	cmd := exec.Command(bin, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, tail(errb.String()))
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Errorf("screenshot %s missing or empty: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}

// At 10,000 findings the script still finishes and pages the table.
func TestChromiumLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	bin := needChromium(t)
	buf := bytes.NewBuffer(reporttest.Render(t, Write, reporttest.Large(10000)))
	file := writeFile(t, t.TempDir(), "large.html", buf.Bytes())
	start := time.Now()
	run := load(t, bin, file)
	t.Logf("10,000 findings: %d bytes of HTML, loaded and scripted in %s", buf.Len(), time.Since(start).Round(time.Millisecond))
	if !strings.Contains(run.DOM, `data-csaudit-ready="1"`) {
		t.Fatalf("the script did not finish; stderr:\n%s", tail(run.Stderr))
	}
	if !strings.Contains(run.DOM, "1–100 of 10000 findings") {
		t.Error("the pager does not show the first 100 of 10000")
	}
	if n := strings.Count(run.DOM, `class="pg-off"`); n != 9900 {
		t.Errorf("%d rows paged out, want 9900", n)
	}
	if len(run.Requests) > 0 {
		t.Errorf("network requests: %q", run.Requests)
	}
}

var (
	rowTag   = regexp.MustCompile(`<tr [^>]*data-rank="[^>]*>`)
	rowID    = regexp.MustCompile(` id="f-([0-9a-f]+)"`)
	rowClass = regexp.MustCompile(` class="([^"]*)"`)
)

type domRow struct {
	id      string
	visible bool
}

func domRows(dom string) []domRow {
	var rows []domRow
	// The script adds class after the server-written attributes, so the
	// attributes are matched one by one.
	for _, tag := range rowTag.FindAllString(dom, -1) {
		id := rowID.FindStringSubmatch(tag)
		if id == nil {
			continue
		}
		class := ""
		if m := rowClass.FindStringSubmatch(tag); m != nil {
			class = m[1]
		}
		rows = append(rows, domRow{id: id[1], visible: !strings.Contains(class, "flt-off") && !strings.Contains(class, "pg-off")})
	}
	return rows
}

// The filters and sorting work in a browser; the URL fragment drives them.
func TestChromiumFilterAndSort(t *testing.T) {
	bin := needChromium(t)
	r := reporttest.Sample()
	buf := bytes.NewBuffer(reporttest.Render(t, Write, r))
	file := writeFile(t, t.TempDir(), "csaudit-report.html", buf.Bytes())
	byID := map[string]report.Finding{}
	for _, f := range r.Findings {
		byID[f.ID] = f
	}

	t.Run("severity", func(t *testing.T) {
		run := loadURL(t, bin, "file://"+file+"#sev=high")
		rows := domRows(run.DOM)
		if len(rows) != len(r.Findings) {
			t.Fatalf("%d rows in the DOM, want %d", len(rows), len(r.Findings))
		}
		for _, row := range rows {
			if high := byID[row.id].Severity == report.High; high != row.visible {
				t.Errorf("finding %s (%s) visible=%v", row.id, byID[row.id].Severity, row.visible)
			}
		}
		if !strings.Contains(run.DOM, "1–2 of 2 findings (filtered from 8)") {
			t.Error("pager does not report the filtered count")
		}
	})
	t.Run("search", func(t *testing.T) {
		// Matches the Greek host by name and the VM whose evidence names the
		// κόμβος-cluster: search covers the expanded details too.
		run := loadURL(t, bin, "file://"+file+"#q="+url.QueryEscape(reporttest.Greek))
		var got []string
		for _, row := range domRows(run.DOM) {
			if row.visible {
				got = append(got, byID[row.id].Resource.Name)
			}
		}
		sort.Strings(got)
		if want := []string{reporttest.ImgName, reporttest.Greek}; !slices.Equal(got, want) {
			t.Errorf("search shows %q, want %q", got, want)
		}
	})
	t.Run("sort", func(t *testing.T) {
		run := loadURL(t, bin, "file://"+file+"#sort=res&dir=desc")
		var got, want []string
		for _, row := range domRows(run.DOM) {
			got = append(got, byID[row.id].Resource.Name)
		}
		for _, f := range r.Findings {
			want = append(want, f.Resource.Name)
		}
		// UTF-8 byte order equals the UTF-16 order JavaScript compares in for
		// these (BMP) names.
		sort.Slice(want, func(i, j int) bool { return strings.ToLower(want[i]) > strings.ToLower(want[j]) })
		if !slices.Equal(got, want) {
			t.Errorf("rows sorted by resource, descending:\n got %q\nwant %q", got, want)
		}
		if !strings.Contains(run.DOM, `data-key="res" aria-sort="descending"`) {
			t.Error("the resource column header does not show the sort")
		}
	})
}

// Printing shows every finding that passes the filters, not just the current
// page, with its details expanded.
func TestChromiumPrint(t *testing.T) {
	bin := needChromium(t)
	pdftotext, err := testbed.Need("poppler-utils", "pdftotext")
	if err != nil {
		testbed.Missing(t, err)
	}
	r := reporttest.Large(250)
	buf := bytes.NewBuffer(reporttest.Render(t, Write, r))
	dir := t.TempDir()
	file := writeFile(t, dir, "large.html", buf.Bytes())
	out := filepath.Join(dir, "print.pdf")
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+filepath.Join(dir, "profile"),
		"--no-pdf-header-footer", "--print-to-pdf="+out, "file://"+file)
	cmd := exec.Command(bin, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("print: %v\n%s", err, tail(errb.String()))
	}
	txt, err := exec.Command(pdftotext, out, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	// Table cells wrap, so compare without any whitespace.
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	text := squash(string(txt))
	for _, f := range []report.Finding{r.Findings[0], r.Findings[150], r.Findings[249]} {
		// The id is one token; a resource name may wrap into interleaved columns.
		if !strings.Contains(text, f.ID) {
			t.Errorf("printed report lacks finding %s on %s (beyond the first page of the table?)", f.ID, f.Resource.Name)
		}
		if !strings.Contains(text, squash(f.Remediation.Commands[0].Text)) {
			t.Errorf("printed report lacks the command of %s: details not expanded", f.Resource.Name)
		}
	}
	if strings.Contains(text, "Perpage") {
		t.Error("the filter controls are printed")
	}
}
