package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/report"
)

// Waiving the lab's unauthenticated-API finding with the packaged example
// waiver passes CSA-SET-001, and `csaudit diff` shows the access-control
// score rising by the numbers both reports carry.
func TestDiffShowsControlScores(t *testing.T) {
	dir := t.TempDir()
	if r := csaudit(t, "audit", "--lab", "--format", "json", "--out", filepath.Join(dir, "a")); r.err != nil {
		t.Fatal(r.err)
	}
	waivers := filepath.Join("..", "..", "fixtures", "dist", "files", "waivers.yaml.example")
	if r := csaudit(t, "audit", "--lab", "--waivers", waivers, "--format", "json", "--out", filepath.Join(dir, "b")); r.err != nil {
		t.Fatal(r.err)
	}
	load := func(p string) *report.Report {
		r, err := report.LoadJSON(filepath.Join(dir, p, "csaudit-report.json"))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	score := func(r *report.Report, id string) string {
		for _, c := range r.Controls {
			if c.ID == id {
				return c.ScoreText()
			}
		}
		t.Fatalf("no control area %s", id)
		return ""
	}
	a, b := load("a"), load("b")
	was, now := score(a, "access-control"), score(b, "access-control")
	if was == now {
		t.Fatalf("access-control score %s in both reports: the waiver changed nothing", was)
	}
	r := csaudit(t, "diff", filepath.Join(dir, "a", "csaudit-report.json"), filepath.Join(dir, "b", "csaudit-report.json"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if want := "+ control access-control: score " + was + " → " + now + "\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("diff lacks %q:\n%s", want, r.stdout)
	}
	// Only areas CSA-SET-001 belongs to can change.
	for _, m := range regexp.MustCompile(`(?m)^[-+~] control ([a-z-]+):`).FindAllStringSubmatch(r.stdout, -1) {
		if m[1] != "access-control" && m[1] != "hardening" {
			t.Errorf("diff names %s, which CSA-SET-001 is not tagged with", m[1])
		}
	}
}

// `csaudit man DIR` writes csaudit(1) and a page per subcommand.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if r := csaudit(t, "man", dir); r.err != nil {
		t.Fatal(r.err)
	}
	for _, p := range []string{"csaudit.1", "csaudit-audit.1", "csaudit-fix-apply.1", "csaudit-diff.1"} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.HasPrefix(string(b), ".nh\n.TH \"CSAUDIT\" \"1\"") || !strings.Contains(string(b), ".SH SYNOPSIS") {
			t.Errorf("%s is not a section 1 man page:\n%.200s", p, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "csaudit-man.1")); err == nil {
		t.Error("the hidden man command has a page of its own")
	}
}
