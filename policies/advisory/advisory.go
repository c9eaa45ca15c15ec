// Package advisory holds CloudStack's published advisories and severe known
// bugs (advisories.tsv, known_bugs.tsv; provenance in NOTICE and advisories.md),
// parsed once into the values the advisory checks read as
// data.csaudit.advisories. A newer advisories file of the same format replaces
// the embedded one.
package advisory

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/csaudit/csaudit/report"
)

//go:embed advisories.tsv
var advisoriesTSV []byte

//go:embed known_bugs.tsv
var knownBugsTSV []byte

// Version is a CloudStack version padded to four parts (4.20.2 = 4.20.2.0).
type Version [4]int

// ParseVersion reads one to four dot-separated numbers.
func ParseVersion(s string) (Version, error) {
	var v Version
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 || len(parts) > 4 {
		return v, fmt.Errorf("version %q: want 2 to 4 dot-separated numbers", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '+') {
			return v, fmt.Errorf("version %q: part %q is not a number", s, p)
		}
		v[i] = n
	}
	return v, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d.%d", v[0], v[1], v[2], v[3]) }

// Compare is -1, 0 or 1.
func (v Version) Compare(w Version) int {
	for i := range v {
		switch {
		case v[i] < w[i]:
			return -1
		case v[i] > w[i]:
			return 1
		}
	}
	return 0
}

// Line is the release line, major.minor ("4.20").
func (v Version) Line() string { return fmt.Sprintf("%d.%d", v[0], v[1]) }

// Cond is one comparison of a range: op is >=, >, <=, < or =.
type Cond struct {
	Op      string  `json:"op"`
	Version Version `json:"version"`
}

func (c Cond) holds(v Version) bool {
	n := v.Compare(c.Version)
	switch c.Op {
	case ">=":
		return n >= 0
	case ">":
		return n > 0
	case "<=":
		return n <= 0
	case "<":
		return n < 0
	}
	return n == 0
}

// Range holds when every condition holds.
type Range []Cond

// Contains reports whether v lies in the range.
func (r Range) Contains(v Version) bool {
	for _, c := range r {
		if !c.holds(v) {
			return false
		}
	}
	return true
}

// Condition is an exposure condition from detectable_by that a snapshot can
// judge: the advisory needs it to hold, so a condition seen false means the
// cloud is not exposed. Gating is false where the data's hint covers only part
// of the advisory's impact (see notGating).
type Condition struct {
	Kind   string `json:"kind"` // setting, setting_lacks, hypervisor, pool_type, table, table_where
	Name   string `json:"name,omitempty"`
	Value  string `json:"value,omitempty"`
	Table  string `json:"table,omitempty"`
	Column string `json:"column,omitempty"`
	Text   string `json:"text"`
	Gating bool   `json:"gating"`
	Note   string `json:"note,omitempty"`
}

// Entry is one advisory or known bug.
type Entry struct {
	ID           string          `json:"id"`
	Kind         string          `json:"kind"` // advisory or bug
	Published    string          `json:"published,omitempty"`
	SeverityWord string          `json:"severity_word,omitempty"`
	Severity     report.Severity `json:"severity"`
	Affected     []Range         `json:"affected"`
	AffectedText string          `json:"affected_text"`
	Fixed        []Version       `json:"fixed"`
	FixedText    string          `json:"fixed_text"`
	Component    string          `json:"component,omitempty"`
	Summary      string          `json:"summary"`
	Mitigation   string          `json:"mitigation,omitempty"`
	DetectableBy string          `json:"detectable_by"`
	Conditions   []Condition     `json:"conditions"`
	// Sides are what runs the affected code: management_server always,
	// kvm_agent when the component is KVM's, system_vm when it names the SSVM
	// or system VMs.
	Sides    []string `json:"sides"`
	DataLoss bool     `json:"data_loss,omitempty"`
	Source   string   `json:"source"`
}

// Affects reports whether v lies in one of the entry's ranges.
func (e *Entry) Affects(v Version) bool {
	for _, r := range e.Affected {
		if r.Contains(v) {
			return true
		}
	}
	return false
}

// FixFor is the release that fixes v: the lowest fixed release above v on v's
// own line, else the lowest above v on a later line; ok is false without one.
func (e *Entry) FixFor(v Version) (Version, bool) {
	var same, later []Version
	for _, f := range e.Fixed {
		if f.Compare(v) <= 0 {
			continue
		}
		if f.Line() == v.Line() {
			same = append(same, f)
		} else {
			later = append(later, f)
		}
	}
	for _, l := range [][]Version{same, later} {
		if len(l) > 0 {
			sort.Slice(l, func(i, j int) bool { return l[i].Compare(l[j]) < 0 })
			return l[0], true
		}
	}
	return Version{}, false
}

// Data is the parsed advisory set.
type Data struct {
	// Source is "embedded" or the file the advisories came from.
	Source string `json:"source"`
	// Date is the newest advisory's publication date (YYYY-MM-DD): the data
	// knows nothing published after it.
	Date string `json:"date"`
	// SHA256 digests the advisories file; BugsSHA256 the known-bugs file.
	SHA256     string  `json:"sha256"`
	BugsSHA256 string  `json:"bugs_sha256"`
	Entries    []Entry `json:"entries"`
}

// Summary is what a report records about the data.
func (d *Data) Summary() *report.AdvisoryData {
	s := &report.AdvisoryData{Source: d.Source, Date: d.Date, SHA256: d.SHA256}
	for _, e := range d.Entries {
		if e.Kind == "bug" {
			s.KnownBugs++
		} else {
			s.Advisories++
		}
	}
	return s
}

// Embedded parses the compiled-in files. They are tested, so an error here is
// a build defect.
func Embedded() (*Data, error) {
	return parse("embedded", advisoriesTSV, knownBugsTSV)
}

// maxFileBytes bounds a replacement file (the embedded one is about 20 KB).
const maxFileBytes = 4 << 20

// Load parses a replacement advisories file (same columns as advisories.tsv);
// the embedded known bugs stay.
func Load(path string) (*Data, error) {
	// Not blocking on a FIFO, and refusing anything but a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("advisories %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("advisories %s: not a regular file", path)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileBytes+1)); err != nil {
		return nil, fmt.Errorf("advisories %s: %w", path, err)
	}
	if buf.Len() > maxFileBytes {
		return nil, fmt.Errorf("advisories %s: larger than %d bytes", path, maxFileBytes)
	}
	return parse(path, buf.Bytes(), knownBugsTSV)
}

var advisoryHeader = []string{"id", "published", "severity", "affected", "fixed_in", "component", "summary", "mitigation", "detectable_by", "source"}

var bugHeader = []string{"id", "affected", "fixed_in", "summary", "detectable_by", "source"}

func parse(source string, adv, bugs []byte) (*Data, error) {
	d := &Data{Source: source, SHA256: digest(adv), BugsSHA256: digest(bugs)}
	name := source
	if source == "embedded" {
		name = "embedded advisories.tsv"
	}
	rows, err := table(name, adv, advisoryHeader)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for _, r := range rows {
		e, err := advisoryEntry(r.cells)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d (%s): %w", name, r.line, r.cells[0], err)
		}
		if prev, dup := seen[e.ID]; dup {
			return nil, fmt.Errorf("%s: line %d: %s is also on line %d", name, r.line, e.ID, prev)
		}
		seen[e.ID] = r.line
		if e.Published > d.Date {
			d.Date = e.Published
		}
		d.Entries = append(d.Entries, e)
	}
	if len(d.Entries) == 0 {
		return nil, fmt.Errorf("%s: no advisories", name)
	}
	rows, err = table("embedded known_bugs.tsv", bugs, bugHeader)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		e, err := bugEntry(r.cells)
		if err != nil {
			return nil, fmt.Errorf("embedded known_bugs.tsv: line %d (%s): %w", r.line, r.cells[0], err)
		}
		d.Entries = append(d.Entries, e)
	}
	return d, nil
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type row struct {
	line  int
	cells []string
}

// table splits a TSV with the given header; every row needs every column.
func table(name string, b []byte, header []string) ([]row, error) {
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return nil, fmt.Errorf("%s: empty", name)
	}
	if got := strings.Split(lines[0], "\t"); !slices.Equal(got, header) {
		return nil, fmt.Errorf("%s: line 1: header must be the tab-separated columns %s", name, strings.Join(header, ", "))
	}
	var out []row
	for i, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		cells := strings.Split(l, "\t")
		if len(cells) != len(header) {
			return nil, fmt.Errorf("%s: line %d: %d columns, want %d", name, i+2, len(cells), len(header))
		}
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		if cells[0] == "" {
			return nil, fmt.Errorf("%s: line %d: empty id", name, i+2)
		}
		out = append(out, row{line: i + 2, cells: cells})
	}
	return out, nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._ ()-]*$`)

func advisoryEntry(c []string) (Entry, error) {
	e := Entry{Kind: "advisory", ID: c[0], Published: c[1], Component: c[5], Summary: c[6], Mitigation: c[7], DetectableBy: c[8], Source: c[9]}
	if !idPattern.MatchString(e.ID) {
		return e, fmt.Errorf("id: letters, digits and . _ - ( ) only")
	}
	if _, err := time.Parse("2006-01-02", e.Published); err != nil {
		return e, fmt.Errorf("published %q: want YYYY-MM-DD", e.Published)
	}
	word, sev, err := severity(c[2])
	if err != nil {
		return e, err
	}
	e.SeverityWord, e.Severity = word, sev
	if err := e.ranges(c[3], c[4]); err != nil {
		return e, err
	}
	e.Conditions = conditions(e.ID, e.DetectableBy)
	e.Sides = sides(e.Component + " " + e.Summary)
	return e, nil
}

func bugEntry(c []string) (Entry, error) {
	e := Entry{Kind: "bug", ID: c[0], Summary: c[3], DetectableBy: c[4], Source: c[5]}
	if err := e.ranges(c[1], c[2]); err != nil {
		return e, err
	}
	// Known bugs are medium, high when the data says data is lost.
	e.DataLoss = dataLoss.MatchString(e.Summary)
	e.Severity = report.Medium
	if e.DataLoss {
		e.Severity = report.High
	}
	e.Conditions = conditions(e.ID, e.DetectableBy)
	e.Sides = sides(e.Summary)
	return e, nil
}

// dataLoss: the summary states data is lost, or stored data removed.
var dataLoss = regexp.MustCompile(`(?i)\b(lose|loses|losing|lost)\b[^.;]*\bdata\b|\bdata loss\b|\b(removed|deleted) all\b`)

// severity maps the advisory's word (its first word: "low (CVE record:
// moderate)" is low) onto the rubric. An advisory without a stated severity
// is medium: not ignorable, not ranked above what its publisher said.
func severity(s string) (string, report.Severity, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	if l == "not stated" {
		return l, report.Medium, nil
	}
	word := ""
	if f := strings.Fields(l); len(f) > 0 {
		word = f[0]
	}
	switch word {
	case "critical":
		return word, report.Critical, nil
	case "important", "high":
		return word, report.High, nil
	case "moderate", "medium":
		return word, report.Medium, nil
	case "low":
		return word, report.Low, nil
	}
	return "", "", fmt.Errorf("severity %q: want critical, important, moderate, medium, low or not stated", s)
}

func (e *Entry) ranges(affected, fixed string) error {
	e.AffectedText, e.FixedText = affected, fixed
	for _, part := range strings.Split(affected, ";") {
		var r Range
		for _, c := range strings.Split(part, ",") {
			c = strings.TrimSpace(c)
			op := ""
			for _, o := range []string{">=", "<=", ">", "<", "="} {
				if strings.HasPrefix(c, o) {
					op = o
					break
				}
			}
			if op == "" {
				return fmt.Errorf("affected %q: condition %q needs one of >=, >, <=, <, =", affected, c)
			}
			v, err := ParseVersion(strings.TrimPrefix(c, op))
			if err != nil {
				return fmt.Errorf("affected %q: %w", affected, err)
			}
			r = append(r, Cond{Op: op, Version: v})
		}
		e.Affected = append(e.Affected, r)
	}
	e.Fixed = []Version{}
	if l := strings.ToLower(fixed); l == "none" || strings.HasPrefix(l, "none ") {
		return nil
	}
	for _, f := range strings.Split(fixed, ",") {
		v, err := ParseVersion(f)
		if err != nil {
			return fmt.Errorf("fixed_in %q: %w (or none)", fixed, err)
		}
		if e.Affects(v) {
			return fmt.Errorf("fixed_in %s lies inside the affected range %s", v, affected)
		}
		e.Fixed = append(e.Fixed, v)
	}
	return nil
}

var (
	kvmWord   = regexp.MustCompile(`\bKVM\b`)
	sysvmWord = regexp.MustCompile(`(?i)\bSSVM\b|\bsystem VMs?\b`)
)

func sides(text string) []string {
	s := []string{"management_server"}
	if kvmWord.MatchString(text) {
		s = append(s, "kvm_agent")
	}
	if sysvmWord.MatchString(text) {
		s = append(s, "system_vm")
	}
	return s
}

// notGating names the rows whose "KVM hosts present" hint covers only part of
// the impact, so a cloud without KVM is still exposed to the rest.
var notGating = map[string]string{
	"CVE-2024-29008": "extraconfig injection also reaches VMware and XenServer instances; KVM adds host-device access",
	"CVE-2026-50112": "SSRF through the SSVM does not need a KVM host",
}

// settingAlias maps setting names an advisory quotes to the name CloudStack
// declares (Config.java), which is what the snapshot holds.
var settingAlias = map[string]string{"project.invitation.required": "project.invite.required"}

var (
	settingCond   = regexp.MustCompile(`\b([a-z][a-z0-9]*(?:\.[a-z0-9]+)+)=(true|false)\b`)
	lacksCond     = regexp.MustCompile(`\b([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+) does not contain ([A-Za-z0-9_.]+)`)
	addingCond    = regexp.MustCompile(`\bby adding ([A-Za-z0-9_.]+) to ([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+)`)
	kvmCond       = regexp.MustCompile(`^KVM\b`)
	hvCond        = regexp.MustCompile(`\bhypervisor_type (KVM|XenServer|VMware|Hyperv|LXC|Ovm3|Simulator)\b`)
	poolTypeCond  = regexp.MustCompile(`\bstorage_pool\.pool_type=([A-Za-z]+)\b`)
	tableCond     = regexp.MustCompile(`\brows in (?:the )?([a-z_]+)(?: table)?\b`)
	tableWhereCnd = regexp.MustCompile(`\b([a-z_]+) rows with ([a-z_]+) ([A-Za-z0-9_]+)\b`)
)

// conditions reads the hints of detectable_by (separated by ";") that a
// snapshot can judge. Each is necessary for exposure; hints it cannot read
// (role permissions, files on secondary storage) leave the judgement open.
func conditions(id, text string) []Condition {
	out := []Condition{}
	for _, hint := range strings.Split(text, ";") {
		hint = strings.TrimSpace(hint)
		add := func(c Condition) {
			c.Text, c.Gating = hint, true
			if note, ok := notGating[id]; ok && c.Kind == "hypervisor" {
				c.Gating, c.Note = false, note
			}
			out = append(out, c)
		}
		for _, m := range settingCond.FindAllStringSubmatch(hint, -1) {
			c := Condition{Kind: "setting", Name: m[1], Value: m[2]}
			if real, ok := settingAlias[c.Name]; ok {
				c.Name, c.Note = real, "the advisory's "+m[1]+" is CloudStack's "+real
			}
			add(c)
		}
		if m := lacksCond.FindStringSubmatch(hint); m != nil {
			add(Condition{Kind: "setting_lacks", Name: m[1], Value: m[2]})
		}
		if m := addingCond.FindStringSubmatch(hint); m != nil {
			add(Condition{Kind: "setting_lacks", Name: m[2], Value: m[1]})
		}
		if kvmCond.MatchString(hint) {
			add(Condition{Kind: "hypervisor", Value: "KVM"})
		} else if m := hvCond.FindStringSubmatch(hint); m != nil {
			add(Condition{Kind: "hypervisor", Value: m[1]})
		}
		if m := poolTypeCond.FindStringSubmatch(hint); m != nil {
			add(Condition{Kind: "pool_type", Value: m[1]})
		}
		if m := tableCond.FindStringSubmatch(hint); m != nil {
			add(Condition{Kind: "table", Table: m[1]})
		} else if m := tableWhereCnd.FindStringSubmatch(hint); m != nil {
			add(Condition{Kind: "table_where", Table: m[1], Column: m[2], Value: m[3]})
		}
	}
	return out
}

// Value is the data as the checks read it (data.csaudit.advisories): entries
// keyed by id, versions as four-number arrays.
func (d *Data) Value() (map[string]any, error) {
	entries := map[string]Entry{}
	for _, e := range d.Entries {
		entries[e.ID] = e
	}
	b, err := json.Marshal(map[string]any{"source": d.Source, "date": d.Date, "sha256": d.SHA256, "entries": entries})
	if err != nil {
		return nil, err
	}
	var v map[string]any
	return v, json.Unmarshal(b, &v)
}
