package policies

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/report"
)

// defaultEngine compiles the embedded checks with default options.
func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// labDoc decodes the embedded lab snapshot for a test to change.
func labDoc(t testing.TB) map[string]any {
	t.Helper()
	var snap map[string]any
	if err := json.Unmarshal(fixtures.Lab(), &snap); err != nil {
		t.Fatal(err)
	}
	return snap
}

func evalJSON(t *testing.T, e *Engine, b []byte) map[string]report.Check {
	t.Helper()
	in, err := ParseInput(b)
	if err != nil {
		t.Fatal(err)
	}
	checks, findings, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]report.Check{}
	for _, c := range checks {
		out[c.ID] = c
	}
	for _, f := range findings {
		c := out[f.CheckID]
		c.Findings++
		out[f.CheckID] = c
	}
	return out
}

// removeFact deletes a fact's coverage and its data from a decoded snapshot.
func removeFact(snap map[string]any, fact string) {
	delete(snap["coverage"].(map[string]any), fact)
	kind, name, _ := strings.Cut(fact, ".")
	switch kind {
	case "settings":
		snap["settings"] = map[string]any{}
	case "db":
		delete(snap["db"].(map[string]any), name)
	case "hosts", "libvirt":
		for _, h := range snap["hosts"].(map[string]any) {
			delete(h.(map[string]any), name)
		}
	case "local":
		if l, ok := snap["local"].(map[string]any); ok {
			delete(l, name)
		}
	case "oobm":
		snap["oobm"] = map[string]any{}
	}
}

// TestMissingFactsAreErrors removes each fact the checks require from the lab in
// turn: every check that requires it reports error, or fail when it still found
// something (DESIGN "Status": a finding is never hidden), never pass; either
// way its reason names the missing fact.
func TestMissingFactsAreErrors(t *testing.T) {
	e := defaultEngine(t)
	needers := map[string][]string{}
	for _, ch := range e.Checks() {
		for _, fact := range ch.Requires {
			needers[fact] = append(needers[fact], ch.ID)
		}
	}
	for fact, ids := range needers {
		t.Run(fact, func(t *testing.T) {
			snap := labDoc(t)
			removeFact(snap, fact)
			b, err := json.Marshal(snap)
			if err != nil {
				t.Fatal(err)
			}
			got := evalJSON(t, e, b)
			for _, id := range ids {
				c := got[id]
				if c.Status == report.Skipped && strings.Contains(c.StatusReason, "not selected") {
					continue // another fact it needs was deliberately not gathered
				}
				if c.Status != report.Error && c.Status != report.Fail {
					t.Errorf("%s: status %s (%s), want error (or fail with findings)", id, c.Status, c.StatusReason)
				} else if c.Status == report.Fail && c.Findings == 0 {
					t.Errorf("%s: fail without findings", id)
				} else if !strings.Contains(c.StatusReason, fact) {
					t.Errorf("%s: reason %q does not name %s", id, c.StatusReason, fact)
				}
			}
		})
	}
}

// TestUnselectedCollectorSkips marks a collector unselected: its checks are skipped.
func TestUnselectedCollectorSkips(t *testing.T) {
	e := defaultEngine(t)
	snap := labDoc(t)
	snap["meta"].(map[string]any)["collectors"].(map[string]any)["hosts"] = map[string]any{"selected": false}
	b, _ := json.Marshal(snap)
	got := evalJSON(t, e, b)
	if c := got["CSA-HOST-002"]; c.Status != report.Skipped {
		t.Errorf("CSA-HOST-002 is %s, want skipped", c.Status)
	}
	if c := got["CSA-SET-001"]; c.Status == report.Skipped {
		t.Errorf("CSA-SET-001 needs only the database, got skipped")
	}
}

// TestLabPartialFailure: one host failed over SSH, so host-fact checks list it.
func TestLabPartialFailure(t *testing.T) {
	e := defaultEngine(t)
	got := evalJSON(t, e, fixtures.Lab())
	c := got["CSA-HOST-002"]
	if c.Status != report.Fail || len(c.NotEvaluated) != 1 {
		t.Fatalf("CSA-HOST-002: %s, not evaluated %v; want fail with the unreachable host listed", c.Status, c.NotEvaluated)
	}
}

// TestRuntimeErrorIsolated: a check that fails at runtime errors alone; the
// single query falls back to evaluating packages one by one.
func TestRuntimeErrorIsolated(t *testing.T) {
	e := defaultEngine(t)
	snap := labDoc(t)
	// A non-numeric overcommit ratio makes to_number fail (strict built-in errors).
	st := snap["settings"].(map[string]any)["mem.overprovisioning.factor"].(map[string]any)
	st["overrides"].(map[string]any)["cluster"].(map[string]any)["3"] = "lots"
	b, _ := json.Marshal(snap)
	got := evalJSON(t, e, b)
	if c := got["CSA-SET-002"]; c.Status != report.Error || !strings.Contains(c.StatusReason, "evaluation failed") {
		t.Fatalf("CSA-SET-002: %s %q, want error from evaluation", c.Status, c.StatusReason)
	}
	if c := got["CSA-SET-001"]; c.Status != report.Fail {
		t.Fatalf("CSA-SET-001: %s, want fail (unaffected by the other check's error)", c.Status)
	}
}

// TestUnselectedFactSkips: a collector that chose not to gather a fact (coverage
// selected=false, e.g. BMC logins while ipmi.sessions is off) skips the checks
// that need it instead of failing them.
func TestUnselectedFactSkips(t *testing.T) {
	e := defaultEngine(t)
	snap := labDoc(t)
	snap["coverage"].(map[string]any)["db.async_job"].(map[string]any)["selected"] = false
	b, _ := json.Marshal(snap)
	c := evalJSON(t, e, b)["CSA-JOB-001"]
	if c.Status != report.Skipped || !strings.Contains(c.StatusReason, "db.async_job") {
		t.Fatalf("CSA-JOB-001: %s %q, want skipped naming db.async_job", c.Status, c.StatusReason)
	}
}
