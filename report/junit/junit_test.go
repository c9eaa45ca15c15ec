package junit

import (
	"bytes"
	"encoding/xml"
	"flag"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/reporttest"
)

var _ = flag.Bool("update", false, reporttest.UpdateFlag)

func TestGolden(t *testing.T) {
	buf := bytes.NewBuffer(reporttest.Render(t, Write, reporttest.Sample()))
	reporttest.Golden(t, "sample.junit.xml", buf.Bytes())
}

func TestStructure(t *testing.T) {
	r := reporttest.Sample()
	buf := bytes.NewBuffer(reporttest.Render(t, Write, r))
	if bytes.ContainsAny(buf.Bytes(), "\x00\x1b") {
		t.Error("output keeps an XML-invalid control character")
	}
	var got testsuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("output is not well-formed XML: %v", err)
	}
	if len(got.Suites) != 2 {
		t.Fatalf("got %d suites, want checks and findings", len(got.Suites))
	}
	checks, findings := got.Suites[0], got.Suites[1]
	if len(checks.Cases) != len(r.Checks) {
		t.Errorf("%d check testcases, want %d", len(checks.Cases), len(r.Checks))
	}
	want := map[report.Status]func(testcase) bool{
		report.Pass:    func(c testcase) bool { return c.Failure == nil && c.Error == nil && c.Skipped == nil },
		report.Fail:    func(c testcase) bool { return c.Failure != nil },
		report.Error:   func(c testcase) bool { return c.Error != nil && strings.Contains(c.Error.Body, reporttest.Cyrillic) },
		report.Skipped: func(c testcase) bool { return c.Skipped != nil },
	}
	for i, c := range r.Checks {
		if !want[c.Status](checks.Cases[i]) {
			t.Errorf("check %s (%s) rendered as %+v", c.ID, c.Status, checks.Cases[i])
		}
	}
	open, failing := 0, 0
	for _, f := range r.Findings {
		if f.Status != report.Waived {
			open++
		}
	}
	for _, c := range findings.Cases {
		if c.Failure != nil {
			failing++
		}
	}
	if failing != open || open == 0 {
		t.Errorf("%d failing finding testcases, want %d (one per open finding)", failing, open)
	}
	if got.Failures != checks.Failures+findings.Failures || got.Tests != len(checks.Cases)+len(findings.Cases) {
		t.Errorf("totals do not add up: %+v", got)
	}
	if !strings.Contains(checks.SystemErr, "host key mismatch") {
		t.Errorf("collector errors missing from system-err: %q", checks.SystemErr)
	}
}

func TestClean(t *testing.T) {
	if got, want := Clean("a\x00b\x1bc\td\ufffee\U0001F600"), "abc\tde\U0001F600"; got != want {
		t.Errorf("Clean = %q, want %q", got, want)
	}
}
