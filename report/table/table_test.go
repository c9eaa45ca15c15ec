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

// One 1 MB name does not blow up the table: cells are cut with an ellipsis,
// the full value stays in the report for the other formats.
func TestHugeNameIsCut(t *testing.T) {
	r := reporttest.Sample()
	huge := strings.Repeat("n", 1<<20)
	r.Findings[0].Resource.Name = huge
	r.Findings[0].Message = "vm " + huge + " is stuck"
	var b strings.Builder
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 64<<10 {
		t.Errorf("table is %d bytes for one huge name", b.Len())
	}
	if !strings.Contains(b.String(), "…") {
		t.Error("no ellipsis where the name was cut")
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if n := len([]rune(l)); n > 300 {
			t.Fatalf("a %d-rune line", n)
		}
	}
	if r.Findings[0].Resource.Name != huge {
		t.Error("rendering changed the report")
	}
}

func TestWrapBreaksLongWords(t *testing.T) {
	if got := wrap("a "+strings.Repeat("x", 25), 10); got != "a\nxxxxxxxxxx\nxxxxxxxxxx\nxxxxx" {
		t.Errorf("wrap = %q", got)
	}
}
