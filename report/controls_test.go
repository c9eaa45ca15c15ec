package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestControlScore(t *testing.T) {
	r := &Report{
		Checks: []Check{
			{ID: "A", Severity: Critical, Status: Pass, Controls: []string{"access-control"}},
			{ID: "B", Severity: High, Status: Fail, Controls: []string{"access-control", "access-control"}},
			{ID: "C", Severity: Medium, Status: Error, Controls: []string{"access-control"}},
			{ID: "D", Severity: Low, Status: Skipped, Controls: []string{"access-control", "custom-area"}},
			{ID: "E", Severity: Info, Status: Fail, Controls: []string{"access-control"}},
			{ID: "F", Severity: High, Status: Fail, Controls: []string{"access-control"}},
		},
		Findings: []Finding{
			{CheckID: "B", Severity: Low, Resource: Resource{Type: "vm", UUID: "1"}},
			{CheckID: "E", Severity: Info, Resource: Resource{Type: "vm", UUID: "2"}},
			{CheckID: "F", Severity: High, Status: Waived, Resource: Resource{Type: "vm", UUID: "3"}},
		},
	}
	r.Finalize()
	// weights 10 + 5 + 3 + 0 + 5 = 23 (D skipped); earned 10 + (5-1) + 0 + 0 + 5 = 19.
	score := 83
	want := []ControlScore{
		{ID: "access-control", Title: "Access control", Catalogued: true, Checks: []string{"A", "B", "C", "D", "E", "F"},
			ChecksPassed: 1, ChecksFailed: 3, ChecksError: 1, ChecksSkipped: 1,
			Open: map[Severity]int{Critical: 0, High: 0, Medium: 0, Low: 1, Info: 1}, Score: &score},
		{ID: "custom-area", Title: "custom-area", Checks: []string{"D"}, ChecksSkipped: 1,
			Open: map[Severity]int{Critical: 0, High: 0, Medium: 0, Low: 0, Info: 0}},
	}
	if d := cmp.Diff(r.Controls, want); d != "" {
		t.Errorf("controls (-got +want):\n%s", d)
	}
	if got := r.Controls[1].ScoreText(); got != "n/a" {
		t.Errorf("score text of an area without a run check = %q", got)
	}
}

func TestDiffControlScores(t *testing.T) {
	mk := func(st Status) *Report {
		r := &Report{Checks: []Check{
			{ID: "A", Severity: High, Status: st, Controls: []string{"ha"}},
			{ID: "B", Severity: High, Status: Pass, Controls: []string{"patching"}},
		}}
		r.Finalize()
		return r
	}
	d := Diff(mk(Pass), mk(Error))
	down := -100
	was, now := 100, 0
	want := []ScoreChange{{ID: "ha", Was: &was, Now: &now, Delta: &down}}
	if diff := cmp.Diff(d.Controls, want); diff != "" {
		t.Errorf("controls changed (-got +want):\n%s", diff)
	}
	if d.Controls[0].Mark() != "-" || d.Summary["controls_changed"] != 1 {
		t.Errorf("mark %q, summary %v", d.Controls[0].Mark(), d.Summary)
	}
}
