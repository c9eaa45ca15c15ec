package reporttest_test

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/csv"
	htmlreport "github.com/csaudit/csaudit/report/html"
	"github.com/csaudit/csaudit/report/junit"
	pdfreport "github.com/csaudit/csaudit/report/pdf"
	"github.com/csaudit/csaudit/report/reporttest"
	"github.com/csaudit/csaudit/report/sarif"
)

var _ = flag.Bool("update", false, reporttest.UpdateFlag)

// The JSON golden pins the contract the other renderers re-render from.
func TestSampleJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, reporttest.Sample()); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "sample.json", buf.Bytes())
}

// A saved report must decode back to the same value, or re-rendering it would
// produce different files than the audit did.
func TestSampleRoundTrip(t *testing.T) {
	want := reporttest.Sample()
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := report.DecodeJSON(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := report.WriteJSON(&again, got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(buf.String(), again.String()); diff != "" {
		t.Errorf("re-encoded report differs (-first +second):\n%s", diff)
	}
}

func TestSampleCoversEveryStatus(t *testing.T) {
	r := reporttest.Sample()
	s := r.Summary
	if s.ChecksPassed == 0 || s.ChecksFailed == 0 || s.ChecksError == 0 || s.ChecksSkipped == 0 {
		t.Errorf("sample lacks a check status: %+v", s)
	}
	if s.Waived == 0 || len(r.Waivers.Expired) == 0 || len(r.Waivers.Unused) == 0 || s.CollectorErrors == 0 {
		t.Errorf("sample lacks waivers or collector errors: %+v", s)
	}
	for _, sev := range report.Severities {
		if s.BySeverity[sev] == 0 {
			t.Errorf("sample has no %s finding", sev)
		}
	}
	if got := len(reporttest.Large(123).Findings); got != 123 {
		t.Errorf("Large(123) has %d findings", got)
	}
}

var renderers = map[string]func(io.Writer, *report.Report) error{
	"csv": csv.Write, "html": htmlreport.Write, "junit": junit.Write, "pdf": pdfreport.Write, "sarif": sarif.Write,
}

// `csaudit report REPORT.json` must write the same files the audit did: every
// renderer gives the same bytes for a report and for its saved JSON.
func TestEveryFormatReRendersFromJSON(t *testing.T) {
	direct := reporttest.Sample()
	var js bytes.Buffer
	if err := report.WriteJSON(&js, direct); err != nil {
		t.Fatal(err)
	}
	saved, err := report.DecodeJSON(js.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for name, write := range renderers {
		var a, b bytes.Buffer
		if err := write(&a, direct); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := write(&b, saved); err != nil {
			t.Fatalf("%s from JSON: %v", name, err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s differs when rendered from the saved JSON:\n%s", name, cmp.Diff(a.String(), b.String()))
		}
	}
}

// No renderer passes on a bidirectional override from the cloud (the PDF's
// text is compressed, so it is checked by its own tests' extraction).
func TestNoFormatKeepsBidiControls(t *testing.T) {
	// The JSON report is evidence and keeps the name exactly as collected.
	var js bytes.Buffer
	if err := report.WriteJSON(&js, reporttest.Sample()); err != nil || !strings.Contains(js.String(), reporttest.Bidi) {
		t.Fatalf("the sample's JSON lacks the bidi name (err %v)", err)
	}
	for name, write := range renderers {
		if name == "pdf" {
			continue
		}
		var buf bytes.Buffer
		if err := write(&buf, reporttest.Sample()); err != nil {
			t.Fatal(err)
		}
		if i := strings.IndexFunc(buf.String(), report.IsBidiControl); i >= 0 {
			t.Errorf("%s keeps a bidi control: %q", name, buf.String()[max(0, i-20):min(buf.Len(), i+20)])
		}
	}
}

// A report with nothing in it (no checks, no findings, zero times) still
// renders in every format.
func TestEveryFormatRendersAnEmptyReport(t *testing.T) {
	for _, r := range []*report.Report{{}, func() *report.Report { r := &report.Report{}; r.Finalize(); return r }()} {
		for name, write := range renderers {
			var buf bytes.Buffer
			if err := write(&buf, r); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if buf.Len() == 0 {
				t.Errorf("%s wrote nothing", name)
			}
		}
	}
}
