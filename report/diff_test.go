package report

import "testing"

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
