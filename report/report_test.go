package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestFindingIDStableAndDistinct(t *testing.T) {
	r := Resource{Type: "vm", ID: "7", UUID: "u-7", Name: "i-2-7-VM"}
	a := FindingID("CSA-STUCK-001", r, "")
	if a != FindingID("CSA-STUCK-001", r, "") || len(a) != 16 {
		t.Fatalf("id %q not stable or not 16 hex chars", a)
	}
	renamed := r
	renamed.Name = "renamed"
	if FindingID("CSA-STUCK-001", renamed, "") != a {
		t.Error("a rename changed the id although the uuid did not")
	}
	for _, other := range []string{
		FindingID("CSA-STUCK-002", r, ""),
		FindingID("CSA-STUCK-001", Resource{Type: "host", UUID: "u-7"}, ""),
		FindingID("CSA-STUCK-001", r, "/etc/x"),
	} {
		if other == a {
			t.Error("different problem, same id")
		}
	}
}

func TestFinalizeOrdersAndCounts(t *testing.T) {
	r := &Report{
		Checks: []Check{{ID: "B", Status: Fail}, {ID: "A", Status: Pass}, {ID: "C", Status: Error}},
		Findings: []Finding{
			{CheckID: "B", Severity: Low, Resource: Resource{Type: "vm", Name: "b"}, Message: "m"},
			{CheckID: "B", Severity: Critical, Resource: Resource{Type: "vm", Name: "z"}, Message: "m"},
			{CheckID: "A", Severity: Critical, Resource: Resource{Type: "vm", Name: "a"}, Message: "m"},
			// Same check and resource, no discriminator (the policy engine
			// refuses this; a hand-built report still gets unique ids): the
			// evidence tells them apart, not the message, which may hold an age.
			{CheckID: "B", Severity: Low, Resource: Resource{Type: "vm", Name: "b"}, Message: "other", Evidence: map[string]any{"path": "/x"}},
		},
	}
	r.Finalize()
	var order []string
	for _, f := range r.Findings {
		order = append(order, string(f.Severity)+"/"+f.CheckID+"/"+f.Resource.Name)
	}
	want := "critical/A/a critical/B/z low/B/b low/B/b"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if r.Findings[2].ID == r.Findings[3].ID {
		t.Error("two findings share an id")
	}
	// The same findings with other messages (an age that grew) keep their ids.
	again := &Report{Findings: []Finding{
		{CheckID: "B", Severity: Low, Resource: Resource{Type: "vm", Name: "b"}, Message: "m, 2 hours later"},
		{CheckID: "B", Severity: Low, Resource: Resource{Type: "vm", Name: "b"}, Message: "other, later", Evidence: map[string]any{"path": "/x"}},
	}}
	again.Finalize()
	if again.Findings[0].ID != r.Findings[2].ID || again.Findings[1].ID != r.Findings[3].ID {
		t.Error("finding ids changed with the message")
	}
	if r.Summary.Findings != 4 || r.Summary.BySeverity[Critical] != 2 || r.Summary.ChecksFailed != 1 || r.Summary.ChecksError != 1 {
		t.Errorf("summary %+v", r.Summary)
	}
	if r.Checks[0].ID != "A" {
		t.Error("checks not sorted by id")
	}
}

func TestWaiverValidationAndExpiry(t *testing.T) {
	for body, want := range map[string]string{
		"waivers:\n  - check: X\n": "resource is required",
		"waivers:\n  - check: X\n    resource: \"[\"\n    justification: j\n    approver: a\n    expires: 2027-01-01\n": "not a valid glob",
		"waivers:\n  - check: X\n    resource: r\n    justification: j\n    approver: a\n    expires: soon\n":           "expires",
		"waivers:\n  - check: X\n    resouce: r\n": "resouce",
	} {
		if _, err := ParseWaivers([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	ws, err := ParseWaivers([]byte("waivers:\n  - check: C\n    resource: \"kvm-*\"\n    justification: j\n    approver: a\n    expires: 2026-11-20\n"))
	if err != nil {
		t.Fatal(err)
	}
	mk := func() *Report {
		return &Report{Checks: []Check{{ID: "C", Status: Fail}}, Findings: []Finding{{CheckID: "C", Severity: High, Status: Open, Resource: Resource{Type: "host", Name: "kvm-1"}}}}
	}
	r := mk()
	r.ApplyWaivers(ws, time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)) // the expiry day still counts
	if r.Findings[0].Status != Waived || r.Checks[0].Status != Pass {
		t.Errorf("on the expiry day: %s / %s", r.Findings[0].Status, r.Checks[0].Status)
	}
	r = mk()
	r.ApplyWaivers(ws, time.Date(2026, 11, 21, 0, 0, 1, 0, time.UTC))
	if r.Findings[0].Status != Open || len(r.Waivers.Expired) != 1 || r.Checks[0].Status != Fail {
		t.Errorf("after expiry: %s, expired %d", r.Findings[0].Status, len(r.Waivers.Expired))
	}
}

func TestParseSeverity(t *testing.T) {
	if s, err := ParseSeverity(" HIGH "); err != nil || s != High {
		t.Errorf("%v %v", s, err)
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("accepted severe")
	}
}

// The contract shows remediation steps and commands as arrays: never null,
// never left out.
func TestRemediationArraysAlwaysPresent(t *testing.T) {
	b, err := json.Marshal(Finding{Remediation: Remediation{Summary: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"remediation":{"summary":"s","steps":[],"commands":[]}`) {
		t.Errorf("got %s", b)
	}
	var buf strings.Builder
	r := &Report{Findings: []Finding{{Remediation: Remediation{Commands: []Command{{Kind: "shell", Text: "a && b > c"}}}}}}
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"text": "a && b > c"`) || !strings.Contains(buf.String(), `"steps": []`) {
		t.Errorf("WriteJSON: %s", buf.String())
	}
}

// A fail check whose findings are all waived passes only when its facts were
// complete; with a fact missing it is an error, and the reason stays the
// missing fact.
func TestWaivedIncompleteCheckIsError(t *testing.T) {
	ws, err := ParseWaivers([]byte("waivers:\n  - {check: C, resource: h, justification: j, approver: a, expires: 2099-01-01}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		check Check
		want  Status
	}{
		{Check{ID: "C", Status: Fail}, Pass},
		{Check{ID: "C", Status: Fail, StatusReason: "fact hosts.x was not collected"}, Error},
		{Check{ID: "C", Status: Fail, NotEvaluated: []string{"h2"}, StatusReason: "fact hosts.x failed for 1 resource(s)"}, Error},
	} {
		r := &Report{Checks: []Check{tc.check}, Findings: []Finding{{CheckID: "C", Status: Open, Resource: Resource{Type: "host", Name: "h"}}}}
		r.ApplyWaivers(ws, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
		if got := r.Checks[0]; got.Status != tc.want || got.StatusReason != tc.check.StatusReason {
			t.Errorf("%+v: %s %q, want %s with the reason unchanged", tc.check, got.Status, got.StatusReason, tc.want)
		}
	}
}
