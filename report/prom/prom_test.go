package prom

import (
	"regexp"
	"strings"
	"testing"

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
