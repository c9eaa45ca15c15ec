package table

import (
	"strings"
	"testing"

	"github.com/csaudit/csaudit/report/reporttest"
)

func TestPlainHasNoEscapes(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, reporttest.Sample()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Error("escape or control characters in plain output")
	}
	for _, want := range []string{"Collector errors:", "did not evaluate every resource", "Expired waivers", "Unused waivers", "узел-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestColorOnlyColoursSeverity(t *testing.T) {
	var b strings.Builder
	if err := WriteOptions(&b, reporttest.Sample(), Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "\x1b[") {
		t.Fatal("no colour on a TTY")
	}
	// Every escape we emit is an SGR colour sequence that we also reset.
	if strings.Count(out, "\x1b[0m") != strings.Count(out, "\x1b[")-strings.Count(out, "\x1b[0m") {
		t.Error("unbalanced colour sequences (an escape from the data leaked?)")
	}
}

func TestWrapAndClean(t *testing.T) {
	if got := Clean("a\tb\x1b[31mc\u202ed\x00"); got != "a b[31mcd" {
		t.Errorf("clean = %q", got)
	}
	if got := wrap("one two three four", 9); got != "one two\nthree\nfour" {
		t.Errorf("wrap = %q", got)
	}
}

func TestMaxFindings(t *testing.T) {
	var b strings.Builder
	r := reporttest.Sample()
	if err := WriteOptions(&b, r, Options{MaxFindings: 1}); err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) > 1 && !strings.Contains(b.String(), "more findings") {
		t.Error("no note about the findings left out")
	}
}
