package policies

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/report"
)

const customMeta = `# METADATA
# title: t
# description: d
# custom:
#   id: SITE-X-001
#   severity: low
#   category: site
#   remediation: r
#   references: [r]
#   controls: []
#   requires: [settings]
`

func writePolicy(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A custom file that defines or extends a built-in package, or reads beyond
// input, the library, the groupings and the parameters, is refused, naming the
// file and the package.
func TestCustomPoliciesCannotTouchBuiltins(t *testing.T) {
	for name, src := range map[string]string{
		"extends a check":     customMeta + "package csaudit.checks.host.not_up\n\ndeny contains {\"resource\": {\"type\": \"cloud\", \"name\": \"c\"}, \"message\": \"m\"} if true\n",
		"redefines lib":       "package csaudit.lib\n\nsetting(_) := \"0\"\n",
		"redefines params":    "package csaudit.params\n\nvm_stuck_minutes := 100000\n",
		"redefines index":     "package csaudit.index\n\nx := 1\n",
		"outside the prefix":  customMeta + "package site.x\n\ndeny contains {\"resource\": {\"type\": \"cloud\", \"name\": \"c\"}, \"message\": \"m\"} if true\n",
		"custom root only":    "package csaudit.custom\n\nx := 1\n",
		"reads a check":       customMeta + "package csaudit.custom.site.x\n\ndeny contains f if {\n\tsome f in data.csaudit.checks.host.not_up.deny\n}\n",
		"imports a check":     customMeta + "package csaudit.custom.site.x\n\nimport data.csaudit.checks.host.not_up\n\ndeny contains f if {\n\tsome f in not_up.deny\n}\n",
		"reads all data":      customMeta + "package csaudit.custom.site.x\n\ndeny contains {\"resource\": {\"type\": \"cloud\", \"name\": k}, \"message\": \"m\"} if {\n\tsome k, _ in data\n}\n",
		"numbers.range":       customMeta + "package csaudit.custom.site.x\n\ndeny contains {\"resource\": {\"type\": \"cloud\", \"name\": \"c\"}, \"message\": \"m\"} if {\n\tcount(numbers.range(1, 100000000000)) > 0\n}\n",
		"reads data by a var": customMeta + "package csaudit.custom.site.x\n\ndeny contains {\"resource\": {\"type\": \"cloud\", \"name\": \"c\"}, \"message\": \"m\"} if {\n\tsome k\n\tdata.csaudit[k]\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(context.Background(), Options{Dirs: []string{writePolicy(t, src)}})
			if err == nil || !strings.Contains(err.Error(), "p.rego") || !strings.Contains(err.Error(), "custom policies") {
				t.Fatalf("got %v, want a refusal naming p.rego and its package", err)
			}
		})
	}
}

// Built-in results are the same with and without an accepted custom directory
// that uses everything it may read.
func TestCustomPoliciesLeaveBuiltinsAlone(t *testing.T) {
	src := customMeta + `package csaudit.custom.site.x

import data.csaudit.lib

deny contains {"resource": {"type": "cloud", "name": "c"}, "message": sprintf("%v %v", [data.csaudit.params.vm_stuck_minutes, count(data.csaudit.index)])} if {
	lib.setting("expunge.delay") != null
}
`
	plain := defaultEngine(t)
	withCustom, err := New(context.Background(), Options{Dirs: []string{writePolicy(t, src)}})
	if err != nil {
		t.Fatal(err)
	}
	in, err := ParseInput(fixtures.Lab())
	if err != nil {
		t.Fatal(err)
	}
	c1, f1, err := plain.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	c2, f2, err := withCustom.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var custom int
	for _, f := range f2 {
		if f.CheckID == "SITE-X-001" {
			custom++
		}
	}
	if custom != 1 || len(f2) != len(f1)+1 || len(c2) != len(c1)+1 {
		t.Fatalf("custom check: %d findings; %d/%d findings, %d/%d checks", custom, len(f1), len(f2), len(c1), len(c2))
	}
	var f2b = f2[:0:0]
	for _, f := range f2 {
		if f.CheckID != "SITE-X-001" {
			f2b = append(f2b, f)
		}
	}
	if d := cmp.Diff(f1, f2b); d != "" {
		t.Errorf("built-in findings changed (-without +with):\n%s", d)
	}
}

// A runaway custom rule ends as one check in error, "timed out", within the
// evaluation's deadline, and every other check still reports.
func TestRunawayRuleIsBounded(t *testing.T) {
	src := customMeta + `package csaudit.custom.site.x

deny contains {"resource": {"type": "cloud", "name": "c"}, "message": "never"} if {
	some a in input.db.vm_instance
	some b in input.db.vm_instance
	some c in input.db.vm_instance
	some d in input.db.vm_instance
	some e in input.db.vm_instance
	a.id == b.id + c.id + d.id + e.id + 1000000
}
`
	checkResults(t, src, Options{Timeout: 6 * time.Second, CheckTimeout: 2 * time.Second}, "timed out")
}

// A custom rule that allocates without bound is stopped by the memory guard.
func TestAllocatingRuleIsBounded(t *testing.T) {
	src := customMeta + `package csaudit.custom.site.x

big contains [a, b, c, d] if {
	some a, _ in input.db.vm_instance
	some b, _ in input.db.vm_instance
	some c, _ in input.db.vm_instance
	some d, _ in input.db.vm_instance
}

deny contains {"resource": {"type": "cloud", "name": "c"}, "message": "m"} if count(big) < 0
`
	checkResults(t, src, Options{Timeout: 2 * time.Minute, CheckTimeout: time.Minute, MemoryHeadroom: 48 << 20}, "memory budget")
}

func checkResults(t *testing.T, src string, o Options, want string) {
	t.Helper()
	o.Dirs = []string{writePolicy(t, src)}
	e, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	in, err := ParseInput(fixtures.Lab())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	checks, _, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > o.Timeout+5*time.Second {
		t.Errorf("evaluation took %s, deadline %s", took, o.Timeout)
	}
	want1 := map[string]report.Check{}
	for _, c := range evalJSON(t, defaultEngine(t), fixtures.Lab()) {
		want1[c.ID] = c
	}
	for _, c := range checks {
		if c.ID == "SITE-X-001" {
			if c.Status != report.Error || !strings.Contains(c.StatusReason, want) {
				t.Errorf("runaway check: %s %q, want error %q", c.Status, c.StatusReason, want)
			}
			continue
		}
		if w := want1[c.ID]; c.Status != w.Status {
			t.Errorf("%s: %s, without the runaway rule %s", c.ID, c.Status, w.Status)
		}
	}
}
