package report

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	f := func(check, name, status string) Finding {
		return Finding{CheckID: check, Severity: High, Status: status, Message: "m", Resource: Resource{Type: "host", Name: name}}
	}
	old := &Report{Checks: []Check{{ID: "A", Status: Fail}, {ID: "B", Status: Pass}},
		Findings: []Finding{f("A", "h1", Open), f("A", "h2", Open)}}
	cur := &Report{Checks: []Check{{ID: "A", Status: Fail}, {ID: "B", Status: Fail}},
		Findings: []Finding{f("A", "h2", Open), f("B", "h3", Open), f("A", "h1", Waived)}}
	old.Finalize()
	cur.Finalize()
	d := Diff(old, cur)
	if len(d.Added) != 1 || d.Added[0].CheckID != "B" {
		t.Errorf("added %+v", d.Added)
	}
	if len(d.Fixed) != 1 || d.Fixed[0].Resource.Name != "h1" {
		t.Errorf("resolved %+v (a waived finding counts as resolved)", d.Fixed)
	}
	if d.Still != 1 || len(d.Checks) != 1 || d.Checks[0].ID != "B" || d.Checks[0].Now != Fail {
		t.Errorf("still %d, checks %+v", d.Still, d.Checks)
	}
}

// A finding whose check errored, was skipped or is gone in the newer run is
// not evaluated, never resolved.
func TestDiffNotEvaluated(t *testing.T) {
	f := func(check, name string) Finding {
		return Finding{CheckID: check, Severity: High, Status: Open, Message: "m", Resource: Resource{Type: "host", Name: name}}
	}
	old := &Report{Checks: []Check{{ID: "A", Status: Fail}, {ID: "B", Status: Fail}, {ID: "C", Status: Fail}, {ID: "D", Status: Fail}},
		Findings: []Finding{f("A", "h1"), f("B", "h2"), f("C", "h3"), f("D", "h4")}}
	cur := &Report{Checks: []Check{{ID: "A", Status: Error}, {ID: "B", Status: Skipped}, {ID: "C", Status: Pass}}}
	old.Finalize()
	cur.Finalize()
	d := Diff(old, cur)
	if len(d.Fixed) != 1 || d.Fixed[0].CheckID != "C" {
		t.Errorf("resolved %+v, want only C's", d.Fixed)
	}
	if len(d.NotEvaluated) != 3 || d.Summary["not_evaluated"] != 3 {
		t.Errorf("not evaluated %+v", d.NotEvaluated)
	}
}

func TestDecodeJSONNamesASnapshot(t *testing.T) {
	for in, want := range map[string]string{
		`{"schema": "csaudit.snapshot/v1", "meta": {}}`: "a csaudit snapshot, not a report",
		"\x1f\x8b\x08\x00": "a gzip file, not a JSON report",
	} {
		if _, err := DecodeJSON([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
