package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/report"
)

// Every controls tag of an embedded check is an area of the catalogue, and
// every catalogued area is one a check uses (no dead entries).
func TestEveryControlTagCatalogued(t *testing.T) {
	e := defaultEngine(t)
	used := map[string]bool{}
	for _, c := range e.Checks() {
		if len(c.Controls) == 0 {
			t.Errorf("%s has no controls tag: it would count in no control area", c.ID)
		}
		for _, tag := range c.Controls {
			used[tag] = true
			if _, ok := report.ControlAreaByID(tag); !ok {
				t.Errorf("%s: controls tag %q is not in report.ControlCatalog (docs/controls.md)", c.ID, tag)
			}
		}
	}
	seen := map[string]bool{}
	for _, a := range report.ControlCatalog {
		if seen[a.ID] {
			t.Errorf("control area %q twice in the catalogue", a.ID)
		}
		seen[a.ID] = true
		if !used[a.ID] {
			t.Errorf("control area %q: no check uses it", a.ID)
		}
		if a.Title == "" || a.Meaning == "" || a.CIS == "" && a.ISO == "" && a.NIST == "" {
			t.Errorf("control area %q lacks a title, a meaning or any framework family", a.ID)
		}
	}
}

// TestControlsDocUpToDate fails when docs/controls.md differs from the
// catalogue and the checks' tags (`make docs` rewrites it).
func TestControlsDocUpToDate(t *testing.T) {
	e := defaultEngine(t)
	var b strings.Builder
	if err := e.WriteControls(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "controls.md")
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
		t.Error("docs/controls.md is stale: run `make docs`")
	}
}
