package policies

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRego runs every *_test.rego through OPA's tester, one Go subtest each.
func TestRego(t *testing.T) {
	mods, err := EmbeddedModules()
	if err != nil {
		t.Fatal(err)
	}
	params, err := DefaultParams()
	if err != nil {
		t.Fatal(err)
	}
	modules := map[string]*ast.Module{}
	tests := 0
	for _, m := range mods {
		modules[m.File] = m.AST
		if m.Test {
			tests++
		}
	}
	if tests == 0 {
		t.Fatal("no *_test.rego found")
	}
	store := inmem.NewFromObject(map[string]any{"csaudit": map[string]any{"params": params}})
	ch, err := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(Capabilities()).WithStrict(true)).
		SetStore(store).
		SetModules(modules).
		RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range ch {
		n++
		t.Run(r.Package+"."+r.Name, func(t *testing.T) {
			if r.Error != nil {
				t.Fatalf("error: %v", r.Error)
			}
			if r.Fail {
				t.Fatalf("failed (%s)", r.Location)
			}
		})
	}
	if n == 0 {
		t.Fatal("the tester ran no Rego test")
	}
}

// TestEveryCheckHasTests wants a passing and a failing case next to every check:
// at least two test rules in <check>_test.rego.
func TestEveryCheckHasTests(t *testing.T) {
	mods, err := EmbeddedModules()
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]int{}
	for _, m := range mods {
		if m.Test {
			for _, r := range m.AST.Rules {
				if strings.HasPrefix(r.Head.Name.String(), "test_") {
					tests[strings.TrimSuffix(m.File, "_test.rego")]++
				}
			}
		}
	}
	e := defaultEngine(t)
	for _, c := range e.Checks() {
		if n := tests[strings.TrimSuffix(c.File, ".rego")]; n < 2 {
			t.Errorf("%s (%s): %d test rules beside it, want at least a passing and a failing case", c.ID, c.File, n)
		}
	}
}

func TestMetadataComplete(t *testing.T) {
	e := defaultEngine(t)
	if len(e.Checks()) < 10 {
		t.Fatalf("%d checks, want at least 10", len(e.Checks()))
	}
	for _, c := range e.Checks() {
		if c.ID == "" || c.Title == "" || c.Description == "" || c.Category == "" || c.Remediation.Summary == "" ||
			len(c.References) == 0 || len(c.Requires) == 0 || c.Controls == nil {
			t.Errorf("%s: incomplete metadata: %+v", c.File, c)
		}
		if !strings.HasPrefix(c.Package, CheckPrefix) {
			t.Errorf("%s: package %s is not under %s", c.File, c.Package, CheckPrefix)
		}
	}
}

func TestMissingMetadataFieldFailsLoad(t *testing.T) {
	dir := t.TempDir()
	src := `# METADATA
# title: t
# description: d
# custom:
#   id: CSA-X-001
#   severity: low
#   category: x
#   references: [r]
#   controls: []
#   requires: [settings]
package csaudit.custom.x.nometa

deny contains {"resource": {"type": "cloud", "name": "c"}, "message": "m"} if true
`
	if err := os.WriteFile(filepath.Join(dir, "c.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(context.Background(), Options{Dirs: []string{dir}})
	if err == nil || !strings.Contains(err.Error(), "custom.remediation") || !strings.Contains(err.Error(), "c.rego") {
		t.Fatalf("got %v, want an error naming the file and custom.remediation", err)
	}
}

func TestSandboxRejectsNetworkAndClock(t *testing.T) {
	for name, body := range map[string]string{
		"http":  `x := http.send({"method": "GET", "url": "http://127.0.0.1/"})`,
		"clock": `x := time.now_ns()`,
		"jwt":   `x := io.jwt.decode_verify("a.b.c", {"secret": "s"})`,
		"x509":  `x := crypto.x509.parse_and_verify_certificates("")`,
		"rand":  `x := rand.intn("a", 10)`,
		"net":   `x := net.lookup_ip_addr("localhost")`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := "package csaudit.custom.x.evil\n\ndeny contains x if {\n\t" + body + "\n}\n"
			if err := os.WriteFile(filepath.Join(dir, "evil.rego"), []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := New(context.Background(), Options{Dirs: []string{dir}})
			if err == nil || !strings.Contains(err.Error(), "evil.rego") {
				t.Fatalf("got %v, want a load error naming evil.rego", err)
			}
		})
	}
}

var fmtRego = flag.Bool("fmt", false, "rewrite embedded Rego files in opa fmt style")

func TestRegoFormatted(t *testing.T) {
	mods, err := EmbeddedModules()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		got, err := format.SourceWithOpts(m.File, []byte(m.Source), format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", m.File, err)
			continue
		}
		if string(got) != m.Source && *fmtRego {
			if err := os.WriteFile(strings.TrimPrefix(m.File, "embedded:"), got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if string(got) != m.Source {
			t.Errorf("%s is not opa-fmt formatted (run `make fmt`)", m.File)
		}
	}
}

func TestParamsOverride(t *testing.T) {
	def, _ := DefaultParams()
	if _, err := MergeParams(def, map[string]any{"no_such": 1}); err == nil {
		t.Error("unknown param accepted")
	}
	if _, err := MergeParams(def, map[string]any{"vm_stuck_minutes": "ten"}); err == nil {
		t.Error("string for a number accepted")
	}
	got, err := MergeParams(def, map[string]any{"vm_stuck_minutes": 45})
	if err != nil || got["vm_stuck_minutes"] != float64(45) {
		t.Errorf("got %v, %v", got["vm_stuck_minutes"], err)
	}
}

var updateDocs = flag.Bool("update", false, "rewrite docs/checks.md")

// TestChecksDocUpToDate fails when docs/checks.md differs from the METADATA.
func TestChecksDocUpToDate(t *testing.T) {
	e := defaultEngine(t)
	var b strings.Builder
	if err := e.WriteCatalog(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "checks.md")
	if *updateDocs {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != b.String() {
		t.Error("docs/checks.md is stale: run `make docs`")
	}
	for _, c := range e.Checks() {
		if !strings.Contains(string(want), "## "+c.ID) {
			t.Errorf("docs/checks.md lacks %s", c.ID)
		}
	}
}

// TestSeedCoverage: every check the seed coverage table names exists, every
// seed is cited, and the seed checks of issue #19 are in it.
func TestSeedCoverage(t *testing.T) {
	e := defaultEngine(t)
	known := map[string]bool{}
	for _, c := range e.Checks() {
		known[c.ID] = true
	}
	named := map[string]bool{}
	for _, id := range regexp.MustCompile(`CSA-[A-Z]+-[0-9]{3}`).FindAllString(seedCoverage, -1) {
		named[id] = true
		if !known[id] {
			t.Errorf("seed coverage names %s, which is not a check", id)
		}
	}
	for _, id := range []string{"CSA-STOR-004", "CSA-ACCT-001", "CSA-LOCAL-005", "CSA-STOR-005", "CSA-HOST-012", "CSA-SYSVM-005", "CSA-SET-014", "CSA-HOST-013"} {
		if !named[id] {
			t.Errorf("seed coverage does not list %s", id)
		}
	}
	for _, seed := range []string{"000_bd9184fa1d57f2b2", "001_846adba9a861db0c", "002_87316531120da61b", "003_890368c12d4364b1", "004_62a602eb5c0afa8b"} {
		if !strings.Contains(seedCoverage, seed) {
			t.Errorf("seed coverage does not cite %s", seed)
		}
	}
	if !strings.Contains(seedCoverage, "ssh.privatekey") {
		t.Error("seed coverage must say why key rotation cannot be checked")
	}
}
