package hosts

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/collectors"
)

// The script runs every section of the table once, in table order, the
// clock first; every section that runs a command through r() lists that
// command for sudoers, and no other section does.
func TestTableDerivesScript(t *testing.T) {
	runs := regexp.MustCompile(`(?m)^s ([a-z0-9]+) ([0-9]+) (.*)$`).FindAllStringSubmatch(standard.script, -1)
	var want, got []string
	for _, f := range Table {
		for _, s := range f.Sections {
			want = append(want, s.Name)
			uses := strings.HasPrefix(s.Run, "r ") || strings.Contains(s.Func, "\tr ") || strings.Contains(s.Func, "; r ")
			if uses != (len(s.Sudo) > 0) {
				t.Errorf("%s: runs through r() %v, sudoers lines %q", s.Name, uses, s.Sudo)
			}
		}
	}
	for _, r := range runs {
		got = append(got, r[1])
	}
	if !slices.Equal(got, want) || got[0] != SectionClock {
		t.Errorf("script sections %v, want %v (clock first)", got, want)
	}
	if !slices.Equal(Facts, factNames(Table)) || !slices.Contains(Facts, FactSSH) {
		t.Errorf("Facts = %v", Facts)
	}
}

func TestCompileRejects(t *testing.T) {
	cpu := func(h *collectors.HostFacts) **collectors.CPUFact { return &h.CPU }
	parse := func(*input) (*collectors.CPUFact, error) { return nil, nil }
	ok := Section{Name: "a", Run: "true", Cap: 8}
	ssh := newFact(FactSSH, func(h *collectors.HostFacts) **collectors.SSHFact { return &h.SSH }, sshFact)
	for name, table := range map[string][]Fact{
		"no ssh row":       {newFact("x", cpu, parse, ok)},
		"repeated section": {newFact("x", cpu, parse, ok), newFact("y", cpu, parse, ok)},
		"repeated fact":    {newFact("x", cpu, parse, ok), newFact("x", cpu, parse)},
		"unnamed fact":     {newFact("", cpu, parse, ok)},
		"no parser":        {{Name: "x", Sections: []Section{ok}}},
		"framing name":     {newFact("x", cpu, parse, Section{Name: "a b", Run: "true", Cap: 8})},
		"no cap":           {newFact("x", cpu, parse, Section{Name: "a", Run: "true"})},
		"no command":       {newFact("x", cpu, parse, Section{Name: "a", Cap: 8})},
	} {
		if name != "no ssh row" {
			table = append(table, ssh)
		}
		if _, err := compile(table); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := compile([]Fact{newFact("x", cpu, parse, ok), ssh}); err != nil {
		t.Errorf("a good table: %v", err)
	}
}
