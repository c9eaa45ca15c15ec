package advisory

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzAdvisories parses any replacement advisories file (--advisories,
// config advisories:). Properties: no panic; an error is one line naming the
// file; accepted data has unique ids, counts every entry once in its
// summary, encodes as JSON, and answers Affects and FixFor for any version,
// a fix being a later release.
func FuzzAdvisories(f *testing.F) {
	f.Add(advisoriesTSV)
	f.Add([]byte(strings.Join(advisoryHeader, "\t") + "\n"))
	f.Add([]byte(strings.Join(advisoryHeader, "\t") + "\nCVE-1\t2024-01-01\thigh\t>=4.5.0,<4.16.1.1;>=4.17.0.0,<4.17.0.1\t4.16.1.1,4.17.0.1\tc\ts\tm\td\tsrc\n"))
	// Found by make fuzz: an empty severity panicked (index 0 of no words),
	// reached through a comma-separated header that passed for the tab one.
	f.Add([]byte(strings.Join(advisoryHeader, "\t") + "\nCVE-2\t2024-01-01\t \t<4.16.0.0\t4.16.0.0\tc\ts\tm\td\tsrc\n"))
	f.Add([]byte(strings.Join(advisoryHeader, ",") + "\nCVE-3\t2024-01-01\tlow\t<4.16.0.0\t4.16.0.0\tc\ts\tm\td\tsrc\n"))
	versions := []Version{{4, 16, 1, 0}, {4, 17, 0, 0}, {4, 22, 0, 0}, {4, 5, 0, 0}, {0, 0, 0, 0}}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parse("fuzz.tsv", b, knownBugsTSV)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.tsv: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("not one line naming the file: %q", err)
			}
			return
		}
		seen := map[string]bool{}
		for i := range d.Entries {
			e := &d.Entries[i]
			if seen[e.ID] {
				t.Fatalf("id %s twice", e.ID)
			}
			seen[e.ID] = true
			for _, v := range versions {
				e.Affects(v)
				if fix, ok := e.FixFor(v); ok && fix.Compare(v) <= 0 {
					t.Fatalf("%s: fix for %s is %s, not a later release", e.ID, v, fix)
				}
			}
		}
		s := d.Summary()
		if s.Advisories+s.KnownBugs != len(d.Entries) {
			t.Fatalf("summary counts %d+%d of %d entries", s.Advisories, s.KnownBugs, len(d.Entries))
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("data does not encode: %v", err)
		}
	})
}
