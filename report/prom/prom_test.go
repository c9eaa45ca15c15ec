package prom

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/reporttest"
)

// line is one sample of the text format: name{labels} value.
var line = regexp.MustCompile(`^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9]+$`)

func TestExpositionFormat(t *testing.T) {
	r := reporttest.Sample()
	var b strings.Builder
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	samples := 0
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if strings.HasPrefix(l, "# ") {
			continue
		}
		samples++
		if !line.MatchString(l) {
			t.Errorf("not a valid sample line: %q", l)
		}
	}
	if samples < 10 {
		t.Errorf("%d samples", samples)
	}
	open := 0
	for _, f := range r.Findings {
		if f.Status == "open" {
			open++
		}
	}
	total := 0
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "csaudit_findings{") && strings.Contains(l, `status="open"`) {
			var n int
			fields := strings.Fields(l)
			for _, c := range fields[len(fields)-1] {
				n = n*10 + int(c-'0')
			}
			total += n
		}
	}
	if total != open {
		t.Errorf("open findings in metrics %d, in report %d", total, open)
	}
}

func TestLabelEscaping(t *testing.T) {
	if got := q("a\"b\\c\nd"); got != `"a\"b\\c\nd"` {
		t.Errorf("q = %s", got)
	}
}

// With a history, the oldest open finding's age per severity is exported;
// waived findings do not count.
func TestOldestOpenAge(t *testing.T) {
	r := reporttest.Sample()
	var b strings.Builder
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "csaudit_oldest_open_finding_age_seconds") {
		t.Fatal("age exported without a history")
	}
	r.Summary.History = &report.HistoryCounts{Runs: 1, New: 1}
	old := r.GeneratedAt.Add(-72 * time.Hour)
	older := r.GeneratedAt.Add(-96 * time.Hour)
	var sev report.Severity
	for i := range r.Findings {
		f := &r.Findings[i]
		f.FirstSeen = &r.GeneratedAt
		if f.Status == report.Open && sev == "" {
			sev, f.FirstSeen = f.Severity, &old
		} else if f.Status == report.Waived {
			f.FirstSeen = &older
		}
	}
	b.Reset()
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	want := `csaudit_oldest_open_finding_age_seconds{severity="` + string(sev) + `"} 259200` + "\n"
	if !strings.Contains(b.String(), want) || strings.Contains(b.String(), " 345600\n") {
		t.Errorf("want %q and no waived age in\n%s", want, b.String())
	}
}
