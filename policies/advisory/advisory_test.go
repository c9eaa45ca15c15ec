package advisory

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func mustVersion(t *testing.T, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestEmbeddedParses: every row of both files parses, none is lost, and no
// fixed release falls inside its own affected range.
func TestEmbeddedParses(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	rows := func(b []byte) int {
		n := 0
		for _, l := range strings.Split(string(b), "\n")[1:] {
			if strings.TrimSpace(l) != "" {
				n++
			}
		}
		return n
	}
	s := d.Summary()
	if s.Advisories != rows(advisoriesTSV) || s.KnownBugs != rows(knownBugsTSV) || s.Advisories == 0 || s.KnownBugs == 0 {
		t.Fatalf("parsed %d advisories and %d bugs from %d and %d rows", s.Advisories, s.KnownBugs, rows(advisoriesTSV), rows(knownBugsTSV))
	}
	for _, e := range d.Entries {
		if len(e.Affected) == 0 {
			t.Errorf("%s: no affected range", e.ID)
		}
		for _, f := range e.Fixed {
			for _, r := range e.Affected {
				if r.Contains(f) {
					t.Errorf("%s: fixed release %s inside affected range %v", e.ID, f, r)
				}
			}
		}
		if e.Severity == "" {
			t.Errorf("%s: no severity", e.ID)
		}
	}
	if d.Date != "2026-08-21" {
		t.Errorf("date %q, want the newest published date 2026-08-21", d.Date)
	}
}

// TestRangeBoundaries: the version on each side of every operator's bound,
// with short versions padded (4.5.0 = 4.5.0.0).
func TestRangeBoundaries(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Entry{}
	for i := range d.Entries {
		byID[d.Entries[i].ID] = &d.Entries[i]
	}
	for _, c := range []struct {
		id, version string
		want        bool
	}{
		// >=4.5.0,<=4.18.2.1;>=4.19.0.0,<=4.19.0.2
		{"CVE-2024-41107", "4.5.0", true},
		{"CVE-2024-41107", "4.4.99.99", false},
		{"CVE-2024-41107", "4.18.2.1", true},
		{"CVE-2024-41107", "4.18.2.2", false},
		{"CVE-2024-41107", "4.18.99", false},
		{"CVE-2024-41107", "4.19.0.0", true},
		{"CVE-2024-41107", "4.19.0.2", true},
		{"CVE-2024-41107", "4.19.1.0", false},
		// >=4.17.0.0,<4.19.3.0;>=4.20.0.0,<4.20.1.0
		{"CVE-2025-26521", "4.16.99.99", false},
		{"CVE-2025-26521", "4.19.2.99", true},
		{"CVE-2025-26521", "4.19.3.0", false},
		{"CVE-2025-26521", "4.20.0.0", true},
		{"CVE-2025-26521", "4.20.1.0", false},
		// =4.19.1.0
		{"CVE-2024-42222", "4.19.1", true},
		{"CVE-2024-42222", "4.19.0.9", false},
		{"CVE-2024-42222", "4.19.1.1", false},
		// <4.16.1.0 (no lower bound)
		{"CVE-2022-26779", "4.0", true},
		{"CVE-2022-26779", "4.16.1.0", false},
		// >=4.16.0 (no upper bound, no fix)
		{"CVE-2025-22828", "4.15.99", false},
		{"CVE-2025-22828", "4.99.0.0", true},
		// =4.20.3.0;>=4.21.0.0,<=4.22.1.0
		{"CVE-2026-61422", "4.20.2.0", false},
		{"CVE-2026-61422", "4.20.3.0", true},
		{"CVE-2026-61422", "4.22.1.1", false},
	} {
		e := byID[c.id]
		if e == nil {
			t.Fatalf("%s not in the data", c.id)
		}
		if got := e.Affects(mustVersion(t, c.version)); got != c.want {
			t.Errorf("%s affects %s = %v, want %v", c.id, c.version, got, c.want)
		}
	}
}

func TestFixFor(t *testing.T) {
	e := Entry{Fixed: []Version{{4, 20, 3, 1}, {4, 22, 1, 1}}}
	for _, c := range []struct{ v, want string }{
		{"4.20.1.0", "4.20.3.1"}, // same line
		{"4.19.2.0", "4.20.3.1"}, // no 4.19 fix: the next line's
		{"4.21.0.0", "4.22.1.1"},
		{"4.22.0.0", "4.22.1.1"},
	} {
		got, ok := e.FixFor(mustVersion(t, c.v))
		if !ok || got != mustVersion(t, c.want) {
			t.Errorf("fix for %s = %s (%v), want %s", c.v, got, ok, c.want)
		}
	}
	if f, ok := e.FixFor(mustVersion(t, "4.22.1.1")); ok {
		t.Errorf("a fixed version has fix %s", f)
	}
}

func TestConditions(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, e := range d.Entries {
		for _, c := range e.Conditions {
			got[e.ID] = append(got[e.ID], strings.Join([]string{c.Kind, c.Name, c.Value, c.Table, c.Column}, "|")+map[bool]string{true: "", false: "|not gating"}[c.Gating])
		}
	}
	for id, want := range map[string]string{
		"CVE-2024-41107":     "setting|saml2.enabled|true||",
		"CVE-2024-45461":     "setting|quota.enable.service|true||",
		"CVE-2025-66171":     "setting|backup.framework.enabled|true||",
		"CVE-2024-45219":     "hypervisor||KVM||",
		"CVE-2026-50112":     "hypervisor||KVM|||not gating",
		"CVE-2026-25199":     "setting_lacks|user.vm.denied.details|proxmox_vmid||",
		"CVE-2026-59085":     "table|||webhook|",
		"CVE-2025-66467":     "table_where||MinIO|object_store|object_provider_name",
		"CVE-2022-26779":     "setting|project.invite.required|true||",
		"9446 (fix PR 9447)": "hypervisor||XenServer||",
	} {
		if strings.Join(got[id], ",") != want {
			t.Errorf("%s conditions %q, want %q", id, got[id], want)
		}
	}
	if len(got["CVE-2024-29006"]) != 0 {
		t.Errorf("version-only advisory has conditions %q", got["CVE-2024-29006"])
	}
}

func TestSidesAndBugSeverity(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range d.Entries {
		sides := strings.Join(e.Sides, ",")
		switch e.ID {
		case "CVE-2024-41107":
			if sides != "management_server" {
				t.Errorf("%s sides %s", e.ID, sides)
			}
		case "CVE-2026-50112":
			if sides != "management_server,kvm_agent,system_vm" {
				t.Errorf("%s sides %s", e.ID, sides)
			}
		case "3958 (fix PR 4043)", "8034 (fix PR 8041)":
			if e.Severity != "high" || !e.DataLoss {
				t.Errorf("%s: data loss stated, severity %s", e.ID, e.Severity)
			}
		case "8637 (fix PR 9088)", "6455 (fix PR 6552)":
			if e.Severity != "medium" || e.DataLoss {
				t.Errorf("%s: no data loss stated, severity %s", e.ID, e.Severity)
			}
		}
	}
}

const header = "id\tpublished\tseverity\taffected\tfixed_in\tcomponent\tsummary\tmitigation\tdetectable_by\tsource\n"

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "adv.tsv")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadReplacesAdvisories(t *testing.T) {
	p := writeFile(t, header+
		"CVE-2027-0001\t2027-02-01\tmoderate\t>=4.22.0.0,<4.22.2.0\t4.22.2.0\tX\tsummary\tupgrade\tsaml2.enabled=true\thttps://example.org\n"+
		"CVE-2026-0002\t2026-12-01\tlow\t=4.20.3.1\t4.20.3.2\tY\tsummary\tupgrade\tversion only\thttps://example.org\n")
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	s := d.Summary()
	if d.Source != p || d.Date != "2027-02-01" || s.Advisories != 2 || s.KnownBugs == 0 {
		t.Errorf("loaded %+v", s)
	}
}

func TestBadFilesNameFileAndLine(t *testing.T) {
	row := func(affected, fixed, sev string) string {
		return header + "CVE-1\t2024-01-01\t" + sev + "\t" + affected + "\t" + fixed + "\tc\ts\tupgrade\tversion only\tsrc\n"
	}
	for name, c := range map[string]struct{ body, want string }{
		"header":        {"id\tseverity\n", "line 1: header"},
		"columns":       {header + "CVE-1\t2024-01-01\tlow\n", "line 2: 3 columns"},
		"operator":      {row("4.19.0.0", "4.19.1.0", "low"), "line 2 (CVE-1): affected"},
		"version":       {row(">=4.x", "4.19.1.0", "low"), `part "x" is not a number`},
		"fix in range":  {row(">=4.19.0.0,<=4.19.2.0", "4.19.1.0", "low"), "fixed_in 4.19.1.0 lies inside"},
		"severity":      {row("=4.19.0.0", "4.19.1.0", "severe"), `severity "severe"`},
		"date":          {header + "CVE-1\t01/02/2024\tlow\t=4.1.0\t4.1.1\tc\ts\tm\td\tsrc\n", "published"},
		"duplicate id":  {row("=4.19.0.0", "4.19.1.0", "low") + "CVE-1\t2024-01-01\tlow\t=4.1.0\t4.1.1\tc\ts\tm\td\tsrc\n", "also on line 2"},
		"no advisories": {header, "no advisories"},
	} {
		p := writeFile(t, c.body)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming %s and %q", name, err, p, c.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.tsv")); err == nil || !strings.Contains(err.Error(), "missing.tsv") {
		t.Errorf("missing file: %v", err)
	}
}

// TestOperators: each operator just inside and just outside its bound.
func TestOperators(t *testing.T) {
	for _, c := range []struct {
		cond    string
		in, out string
	}{
		{">=4.19.1", "4.19.1.0", "4.19.0.99"},
		{">4.19.1", "4.19.1.1", "4.19.1.0"},
		{"<=4.19.1", "4.19.1.0", "4.19.1.1"},
		{"<4.19.1", "4.19.0.99", "4.19.1.0"},
		{"=4.19.1", "4.19.1.0", "4.19.1.1"},
	} {
		var e Entry
		if err := e.ranges(c.cond, "none"); err != nil {
			t.Fatal(err)
		}
		if !e.Affects(mustVersion(t, c.in)) || e.Affects(mustVersion(t, c.out)) {
			t.Errorf("%s: %s in = %v, %s in = %v", c.cond, c.in, e.Affects(mustVersion(t, c.in)), c.out, e.Affects(mustVersion(t, c.out)))
		}
	}
}

func TestLoadRefusesAFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO: %v", err)
	}
}
