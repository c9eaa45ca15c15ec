// Package report holds the Report every renderer takes: plain data whose JSON
// form (csaudit.report/v1) is a contract other tools rely on. Field names are
// never renamed; additions are fine.
package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// SchemaVersion identifies the report JSON.
const SchemaVersion = "csaudit.report/v1"

// Severity is critical, high, medium, low or info.
type Severity string

// Severities, most severe first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists every severity, most severe first.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank orders severities: critical is 0, unknown values sort last.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return len(Severities)
}

// ParseSeverity accepts a severity name.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if v.Rank() == len(Severities) {
		return "", fmt.Errorf("unknown severity %q (want one of critical, high, medium, low, info)", s)
	}
	return v, nil
}

// Status of a check.
type Status string

// Check statuses.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Error   Status = "error"
	Skipped Status = "skipped"
)

// Finding statuses.
const (
	Open   = "open"
	Waived = "waived"
)

// Report is one audit's result.
type Report struct {
	Schema          string           `json:"schema"`
	Tool            Tool             `json:"tool"`
	GeneratedAt     time.Time        `json:"generated_at"`
	Snapshot        SnapshotRef      `json:"snapshot"`
	Target          Target           `json:"target"`
	Summary         Summary          `json:"summary"`
	Checks          []Check          `json:"checks"`
	Findings        []Finding        `json:"findings"`
	Waivers         WaiverSummary    `json:"waivers"`
	CollectorErrors []CollectorError `json:"collector_errors"`
	Lab             bool             `json:"lab,omitempty"`
	// PolicyParams are the thresholds the checks ran with (data.csaudit.params:
	// the defaults with the config's policies.params applied), so a reader sees
	// which limits a finding was measured against. Parameters are never secret.
	PolicyParams map[string]any `json:"policy_params,omitempty"`
	// Readiness is the verdict and placement plan of `csaudit readiness`;
	// audit reports have none.
	Readiness *Readiness `json:"readiness,omitempty"`
	// AdvisoryData names the advisory data the advisory checks judged the
	// running versions with.
	AdvisoryData *AdvisoryData `json:"advisory_data,omitempty"`
	// Controls scores each control area the checks are tagged with
	// (docs/controls.md); recomputed from checks and findings on every
	// Finalize and load, so it always agrees with them.
	Controls []ControlScore `json:"controls"`
	// Parts are the snapshots of the zone reports `csaudit merge` combined,
	// each with its own digest; a merged report has no snapshot of its own.
	Parts []SnapshotRef `json:"parts,omitempty"`
}

// AdvisoryData identifies advisory data: embedded or a file, the newest
// advisory's publication date, the file's SHA-256 and how many entries.
type AdvisoryData struct {
	Source     string `json:"source"`
	Date       string `json:"date"`
	SHA256     string `json:"sha256"`
	Advisories int    `json:"advisories"`
	KnownBugs  int    `json:"known_bugs"`
}

// Tool names csaudit and its version.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// SnapshotRef identifies the evidence the report was computed from. SHA256 is
// the digest of the uncompressed snapshot JSON.
type SnapshotRef struct {
	SHA256      string     `json:"sha256"`
	CollectedAt time.Time  `json:"collected_at"`
	DBNow       *time.Time `json:"db_now" jsonschema:"nullable"`
	File        string     `json:"file,omitempty"`
	// Zones are the uuids of the zones the snapshot was restricted to
	// (--zone); absent for the whole cloud.
	Zones []string `json:"zones,omitempty"`
}

// Target summarises the audited cloud.
type Target struct {
	Name              string `json:"name,omitempty"`
	CloudStackVersion string `json:"cloudstack_version"`
	Zones             int    `json:"zones"`
	Clusters          int    `json:"clusters"`
	Hosts             int    `json:"hosts"`
	// VMs counts user VMs; routers, SSVMs, console proxies and other system
	// VMs are counted in SystemVMs.
	VMs       int    `json:"vms"`
	SystemVMs int    `json:"system_vms"`
	Database  string `json:"database,omitempty"`
}

// Summary counts. Findings and BySeverity count waived findings too.
type Summary struct {
	Findings        int              `json:"findings"`
	BySeverity      map[Severity]int `json:"by_severity"`
	ChecksPassed    int              `json:"checks_passed"`
	ChecksFailed    int              `json:"checks_failed"`
	ChecksError     int              `json:"checks_error"`
	ChecksSkipped   int              `json:"checks_skipped"`
	Waived          int              `json:"waived"`
	CollectorErrors int              `json:"collector_errors"`
	// History compares this run with the previous one in --history DIR;
	// absent without --history.
	History *HistoryCounts `json:"history,omitempty"`
}

// HistoryCounts compares the findings present (open or waived) in this run
// with the previous run of the history.
type HistoryCounts struct {
	// PreviousRun is when the run compared with was made; absent for the
	// first run of a history.
	PreviousRun *time.Time `json:"previous_run,omitempty"`
	Runs        int        `json:"runs"` // earlier runs in the history
	New         int        `json:"new"`
	Persisting  int        `json:"persisting"`
	Resolved    int        `json:"resolved"`
}

// Check is one check's definition and its status in this run.
type Check struct {
	ID           string       `json:"id"`
	Title        string       `json:"title"`
	Description  string       `json:"description"`
	Severity     Severity     `json:"severity"`
	Category     string       `json:"category"`
	Status       Status       `json:"status"`
	References   []string     `json:"references"`
	Controls     []string     `json:"controls"`
	NotEvaluated []string     `json:"not_evaluated"`
	Requires     []string     `json:"requires,omitempty"`
	Remediation  *Remediation `json:"remediation,omitempty"`
	Findings     int          `json:"findings"`
	// StatusReason explains error and skipped; on fail it names the required
	// facts that were missing or failed for some resources, so the findings
	// may be incomplete.
	StatusReason string `json:"status_reason,omitempty"`
	Source       string `json:"source,omitempty"`
}

// Finding is one problem on one resource.
type Finding struct {
	ID          string         `json:"id"`
	CheckID     string         `json:"check_id"`
	Title       string         `json:"title,omitempty"`
	Category    string         `json:"category,omitempty"`
	Severity    Severity       `json:"severity"`
	Status      string         `json:"status"`
	Resource    Resource       `json:"resource"`
	Message     string         `json:"message"`
	Evidence    map[string]any `json:"evidence"`
	Remediation Remediation    `json:"remediation"`
	Waiver      *AppliedWaiver `json:"waiver,omitempty"`
	// Discriminator tells apart several findings of one check on one resource.
	Discriminator string `json:"discriminator,omitempty"`
	// FirstSeen is when the history (--history) first saw this finding in an
	// unbroken series of runs up to this one; absent without a history.
	FirstSeen *time.Time `json:"first_seen,omitempty"`
}

// Age says, for people, how long the finding has been present at time at
// (the report's generated_at): "new", "open 14 days", or for a waived one
// "seen for 14 days"; "" without a history.
func (f *Finding) Age(at time.Time) string {
	if f.FirstSeen == nil {
		return ""
	}
	d := at.Sub(*f.FirstSeen)
	var span string
	switch {
	case d <= 0:
		return "new"
	case d < time.Hour:
		span = "<1 hour"
	case d < 24*time.Hour:
		span = plural(int(d/time.Hour), "%d hour")
	default:
		span = plural(int(d/(24*time.Hour)), "%d day")
	}
	if f.Status == Waived {
		return "seen for " + span
	}
	return "open " + span
}

// HistoryLine is the summary's history comparison in one sentence; "" without
// a history.
func (r *Report) HistoryLine() string {
	h := r.Summary.History
	if h == nil {
		return ""
	}
	if h.PreviousRun == nil {
		return fmt.Sprintf("History: first run recorded; all %d findings are new.", h.New)
	}
	return fmt.Sprintf("History: %d new, %d persisting, %d resolved since the previous run (%s; %d earlier runs).",
		h.New, h.Persisting, h.Resolved, h.PreviousRun.UTC().Format(time.RFC3339), h.Runs)
}

func plural(n int, format string) string {
	s := fmt.Sprintf(format, n)
	if n != 1 {
		s += "s"
	}
	return s
}

// Resource is the most specific object at fault.
type Resource struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
	UUID string `json:"uuid,omitempty"`
	Name string `json:"name,omitempty"`
}

// Remediation is what a person can do; commands are never run by csaudit.
// Steps and Commands are always arrays in JSON, empty when there are none.
type Remediation struct {
	Summary  string    `json:"summary"`
	Steps    []string  `json:"steps"`
	Commands []Command `json:"commands"`
	FixID    string    `json:"fix_id,omitempty"`
}

// MarshalJSON writes nil Steps and Commands as [] (the contract shows arrays,
// and consumers should not have to tell null from empty).
func (r Remediation) MarshalJSON() ([]byte, error) {
	type plain Remediation
	p := plain(r)
	if p.Steps == nil {
		p.Steps = []string{}
	}
	if p.Commands == nil {
		p.Commands = []Command{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // commands hold && and <; WriteJSON keeps them readable too
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Command is a command for a person to run: cmk, shell or sql.
type Command struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// AppliedWaiver is the waiver that covers a finding.
type AppliedWaiver struct {
	Justification string `json:"justification"`
	Approver      string `json:"approver"`
	Expires       string `json:"expires"`
}

// WaiverSummary lists waivers that no longer apply or matched nothing.
type WaiverSummary struct {
	Expired []Waiver `json:"expired"`
	Unused  []Waiver `json:"unused"`
}

// CollectorError is copied from the snapshot.
type CollectorError struct {
	Collector string `json:"collector"`
	Target    string `json:"target"`
	Error     string `json:"error"`
}

// FindingID derives the stable id: a short hash of the check, the resource
// type, the resource uuid (or name, or id) and the discriminator.
func FindingID(checkID string, r Resource, discriminator string) string {
	key := r.UUID
	if key == "" {
		key = r.Name
	}
	if key == "" {
		key = r.ID
	}
	h := sha256.Sum256([]byte(strings.Join([]string{checkID, r.Type, key, discriminator}, "\x00")))
	return hex.EncodeToString(h[:8])
}

// Finalize assigns ids, sorts findings and checks and recomputes the summary.
// Renderers rely on the order it leaves.
func (r *Report) Finalize() {
	seen := map[string]int{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Evidence == nil {
			f.Evidence = map[string]any{}
		}
		if f.Status == "" {
			f.Status = Open
		}
		f.ID = FindingID(f.CheckID, f.Resource, f.Discriminator)
		seen[f.ID]++
	}
	// Two findings of one check on one resource need a discriminator; the
	// policy engine turns a check that omits it into status error (see
	// policies.Evaluate), so this only guards reports assembled elsewhere. The
	// evidence, not the message (which may state an age), tells them apart.
	for i := range r.Findings {
		f := &r.Findings[i]
		if seen[f.ID] > 1 {
			ev, _ := json.Marshal(f.Evidence) // map keys sorted: canonical
			f.ID = FindingID(f.CheckID, f.Resource, f.Discriminator+"\x00"+string(ev))
		}
	}
	SortFindings(r.Findings)
	sort.SliceStable(r.Checks, func(i, j int) bool { return r.Checks[i].ID < r.Checks[j].ID })
	r.recount()
}

// SortFindings orders by severity, check, resource type, name, id, then finding id.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() < b.Severity.Rank()
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		if a.Resource.Type != b.Resource.Type {
			return a.Resource.Type < b.Resource.Type
		}
		if a.Resource.Name != b.Resource.Name {
			return a.Resource.Name < b.Resource.Name
		}
		if a.Resource.ID != b.Resource.ID {
			return a.Resource.ID < b.Resource.ID
		}
		return a.ID < b.ID
	})
}

func (r *Report) recount() {
	s := Summary{BySeverity: map[Severity]int{}}
	for _, sev := range Severities {
		s.BySeverity[sev] = 0
	}
	per := map[string]int{}
	for _, f := range r.Findings {
		s.Findings++
		s.BySeverity[f.Severity]++
		if f.Status == Waived {
			s.Waived++
		}
		per[f.CheckID]++
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Findings = per[c.ID]
		switch c.Status {
		case Pass:
			s.ChecksPassed++
		case Fail:
			s.ChecksFailed++
		case Error:
			s.ChecksError++
		case Skipped:
			s.ChecksSkipped++
		}
	}
	s.CollectorErrors = len(r.CollectorErrors)
	s.History = r.Summary.History // not derivable from the findings
	r.Summary = s
	r.Controls = scoreControls(r.Checks, r.Findings)
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.CollectorErrors == nil {
		r.CollectorErrors = []CollectorError{}
	}
	if r.Waivers.Expired == nil {
		r.Waivers.Expired = []Waiver{}
	}
	if r.Waivers.Unused == nil {
		r.Waivers.Unused = []Waiver{}
	}
}

// HasOpenAtOrAbove reports whether an unwaived finding is at least as severe as min.
func (r *Report) HasOpenAtOrAbove(min Severity) bool {
	for _, f := range r.Findings {
		if f.Status != Waived && f.Severity.Rank() <= min.Rank() {
			return true
		}
	}
	return false
}

// HasCheckErrors reports whether a check ended in status error, or failed
// with resources it could not evaluate.
func (r *Report) HasCheckErrors() bool {
	for _, c := range r.Checks {
		// A failed check that skipped resources for missing facts was not
		// fully evaluated either.
		if c.Status == Error || c.Status == Fail && len(c.NotEvaluated) > 0 {
			return true
		}
	}
	return false
}

// CheckByID returns the check with id, or nil.
func (r *Report) CheckByID(id string) *Check {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// Label is how a resource is shown to a person: its name, else uuid, else id.
func (r Resource) Label() string {
	for _, v := range []string{r.Name, r.UUID, r.ID} {
		if v != "" {
			return v
		}
	}
	return "-"
}

// Cluster names the cluster a finding belongs to, for charts: evidence
// "cluster" (a name) when the check records it, else "cluster_id", else the
// resource itself when it is a cluster; "" when none applies.
func (f *Finding) Cluster() string {
	if v, ok := f.Evidence["cluster"].(string); ok && v != "" {
		return v
	}
	if v, ok := f.Evidence["cluster_id"]; ok && v != nil && fmt.Sprint(v) != "" {
		return "cluster id " + fmt.Sprint(v)
	}
	if f.Resource.Type == "cluster" {
		return f.Resource.Label()
	}
	return ""
}

// IsBidiControl reports whether r is an invisible bidirectional control (an
// embedding, override, isolate or mark) that makes text display in an order
// other than the one it is stored in; every renderer drops them from
// cloud-supplied text so a hostile name cannot pose as another.
func IsBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}
