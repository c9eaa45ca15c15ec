package sarif

import (
	"bytes"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/reporttest"
)

var _ = flag.Bool("update", false, reporttest.UpdateFlag)

func TestGolden(t *testing.T) {
	buf := bytes.NewBuffer(reporttest.Render(t, Write, reporttest.Sample()))
	reporttest.Golden(t, "sample.sarif", buf.Bytes())
}

func TestValidAndComplete(t *testing.T) {
	r := reporttest.Sample()
	buf := bytes.NewBuffer(reporttest.Render(t, Write, r))
	doc, err := sarif.FromBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
		t.Fatalf("version %q, %d runs", doc.Version, len(doc.Runs))
	}
	run := doc.Runs[0]
	if got := len(run.Tool.Driver.Rules); got != len(r.Checks) {
		t.Errorf("%d rules, want one per check (%d)", got, len(r.Checks))
	}
	if got := len(run.Results); got != len(r.Findings) {
		t.Fatalf("%d results, want %d", got, len(r.Findings))
	}
	for i, f := range r.Findings {
		res := run.Results[i]
		if *res.RuleID != f.CheckID || *run.Tool.Driver.Rules[res.RuleIndex].ID != f.CheckID {
			t.Errorf("result %d points at rule %s/%d, want %s", i, *res.RuleID, res.RuleIndex, f.CheckID)
		}
		uri := res.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if uri == nil || !strings.HasPrefix(*uri, "cloudstack/"+f.Resource.Type+"/") || strings.ContainsAny(*uri, "<>\" |") {
			t.Errorf("result %d artifact uri %v is not a clean relative path", i, uri)
		}
		if res.PartialFingerprints["csauditFindingId/v1"] != f.ID {
			t.Errorf("result %d lacks the finding id fingerprint", i)
		}
		if waived := len(res.Suppressions) > 0; waived != (f.Status == report.Waived) {
			t.Errorf("result %d suppressed=%v, finding status %s", i, waived, f.Status)
		}
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if len(notes) != len(r.CollectorErrors)+r.Summary.ChecksError {
		t.Errorf("%d notifications, want collector errors + checks in error", len(notes))
	}
	if *run.Invocations[0].ExecutionSuccessful {
		t.Error("a run with collector errors is reported as successful")
	}
	if bytes.Contains(buf.Bytes(), []byte(`\u001b`)) || bytes.Contains(buf.Bytes(), []byte(`\u0000`)) {
		t.Error("control characters survive in the SARIF output")
	}
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"helpUri": "javascript:`) {
		t.Error("a javascript: reference became a help link")
	}
}
