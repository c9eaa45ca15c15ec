package policies

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/report"
)

// A fact missing for some resources does not hide what the check found on
// the others: the lab's critical double-running VM stays a finding (fail) and
// the reason names the fact. A fact missing entirely is an error without
// findings: rules read an empty table then, and "not found" would be invented.
func TestMissingFactKeepsFindings(t *testing.T) {
	e := defaultEngine(t)
	eval := func(snap map[string]any) (report.Check, []report.Finding) {
		t.Helper()
		b, _ := json.Marshal(snap)
		in, err := ParseInput(b)
		if err != nil {
			t.Fatal(err)
		}
		checks, findings, err := e.Evaluate(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		var c report.Check
		for _, x := range checks {
			if x.ID == "CSA-DRIFT-002" {
				c = x
			}
		}
		var own []report.Finding
		for _, f := range findings {
			if f.CheckID == c.ID {
				own = append(own, f)
			}
		}
		return c, own
	}

	absent := labDoc(t)
	delete(absent["coverage"].(map[string]any), "libvirt.domains")
	if c, fs := eval(absent); c.Status != report.Error || len(fs) != 0 || !strings.Contains(c.StatusReason, "libvirt.domains was not collected") {
		t.Errorf("fact absent: %s %q with %d findings, want error naming libvirt.domains and none", c.Status, c.StatusReason, len(fs))
	}

	partial := labDoc(t)
	cov := partial["coverage"].(map[string]any)["libvirt.domains"].(map[string]any)
	failed, _ := cov["failed"].(map[string]any)
	if failed == nil {
		failed = map[string]any{}
		cov["failed"] = failed
	}
	failed["some-other-host-uuid"] = "connection refused"
	c, fs := eval(partial)
	if c.Status != report.Fail || !strings.Contains(c.StatusReason, "libvirt.domains failed for") {
		t.Fatalf("fact partial: %s %q, want fail naming libvirt.domains", c.Status, c.StatusReason)
	}
	critical := false
	for _, f := range fs {
		critical = critical || f.Severity == report.Critical && f.Resource.Name == "i-4-56-VM"
	}
	if !critical {
		t.Error("the critical finding on i-4-56-VM vanished with a partial fact")
	}

	// All of those findings waived: what is left is unevaluated, an error whose
	// reason is the missing fact, not a pass.
	r := &report.Report{Checks: []report.Check{c}, Findings: fs}
	ws, err := report.ParseWaivers([]byte("waivers:\n  - {check: CSA-DRIFT-002, resource: \"*\", justification: j, approver: a, expires: 2099-01-01}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r.ApplyWaivers(ws, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	if got := r.Checks[0]; got.Status != report.Error || !strings.Contains(got.StatusReason, "libvirt.domains failed for") {
		t.Errorf("all findings waived: %s %q, want error with the missing fact as reason", got.Status, got.StatusReason)
	}
}

// A check that files two findings on one resource without a discriminator
// would give them one id (or an id that changes between runs): the check is in
// error, naming itself and the resource, and none of its findings is reported.
func TestDuplicateFindingIsCheckError(t *testing.T) {
	dir := t.TempDir()
	src := `# METADATA
# title: t
# description: d
# custom:
#   id: CSA-X-001
#   severity: low
#   category: x
#   remediation: r
#   references: [r]
#   controls: []
#   requires: [settings]
package csaudit.custom.x.dup

deny contains {"resource": {"type": "cloud", "name": "c"}, "message": m} if some m in ["one", "two"]

deny contains {"resource": {"type": "cloud", "name": "d"}, "message": m, "discriminator": m} if some m in ["one", "two"]
`
	if err := os.WriteFile(filepath.Join(dir, "dup.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	in, err := ParseInput(fixtures.Lab())
	if err != nil {
		t.Fatal(err)
	}
	checks, findings, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range checks {
		if c.ID != "CSA-X-001" {
			continue
		}
		found = true
		want := "check CSA-X-001 emitted two findings for cloud c without a distinguishing discriminator"
		if c.Status != report.Error || c.StatusReason != want {
			t.Errorf("got %s %q, want error %q", c.Status, c.StatusReason, want)
		}
	}
	if !found {
		t.Fatal("the custom check is not in the results")
	}
	for _, f := range findings {
		if f.CheckID == "CSA-X-001" {
			t.Errorf("finding of the broken check reported: %+v", f)
		}
	}
}
