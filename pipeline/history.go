package pipeline

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/csaudit/csaudit/report"
)

// MaxHistoryBytes caps history.jsonl (about ten years of daily runs of a
// cloud with a thousand findings).
const MaxHistoryBytes = 1 << 30

// HistoryFinding is one finding present in a run.
type HistoryFinding struct {
	ID        string          `json:"id"`
	CheckID   string          `json:"check_id"`
	Severity  report.Severity `json:"severity"`
	Status    string          `json:"status"`
	FirstSeen *time.Time      `json:"first_seen,omitempty"`
}

func historyFindings(r *report.Report) []HistoryFinding {
	out := make([]HistoryFinding, 0, len(r.Findings))
	for _, f := range r.Findings {
		out = append(out, HistoryFinding{ID: f.ID, CheckID: f.CheckID, Severity: f.Severity, Status: f.Status, FirstSeen: f.FirstSeen})
	}
	return out
}

// present lists the finding ids of an entry; entries written before the
// findings field have only the open ones.
func (e HistoryEntry) present() map[string]HistoryFinding {
	m := map[string]HistoryFinding{}
	if e.Findings != nil {
		for _, f := range e.Findings {
			m[f.ID] = f
		}
		return m
	}
	for _, id := range e.Open {
		m[id] = HistoryFinding{ID: id, Status: report.Open}
	}
	return m
}

// LoadHistory reads dir/history.jsonl in time order; a missing file is an
// empty history. A malformed line is an error naming the file and line.
func LoadHistory(dir string) ([]HistoryEntry, error) {
	path := filepath.Join(dir, HistoryFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	var out []HistoryEntry
	sc := bufio.NewScanner(io.LimitReader(f, MaxHistoryBytes))
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var e HistoryEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			return nil, fmt.Errorf("history %s line %d: not a history entry: %v", path, n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].GeneratedAt.Before(out[j].GeneratedAt) })
	return out, nil
}

// ApplyHistory dates the report's findings from the runs in dir made before
// it: first_seen is the earliest run of the unbroken series of runs, ending
// with this one, in which the finding was present (open or waived); a finding
// absent from the previous run is new and first seen now. The summary counts
// new, persisting and resolved (present in the previous run, gone now).
func ApplyHistory(dir string, r *report.Report) error {
	all, err := LoadHistory(dir)
	if err != nil {
		return err
	}
	var past []map[string]HistoryFinding
	var times []time.Time
	for _, e := range all {
		if e.GeneratedAt.Before(r.GeneratedAt) {
			past = append(past, e.present())
			times = append(times, e.GeneratedAt)
		}
	}
	h := &report.HistoryCounts{Runs: len(past)}
	now := map[string]bool{}
	for i := range r.Findings {
		f := &r.Findings[i]
		now[f.ID] = true
		first := r.GeneratedAt
		for k := len(past) - 1; k >= 0; k-- {
			if _, ok := past[k][f.ID]; !ok {
				break
			}
			first = times[k]
		}
		f.FirstSeen = &first
		if first.Equal(r.GeneratedAt) {
			h.New++
		} else {
			h.Persisting++
		}
	}
	if n := len(past); n > 0 {
		prev := times[n-1]
		h.PreviousRun = &prev
		for id := range past[n-1] {
			if !now[id] {
				h.Resolved++
			}
		}
	}
	r.Summary.History = h
	return nil
}

// RunStats is one run of a history as `csaudit history` prints it.
type RunStats struct {
	At         time.Time
	BySeverity map[report.Severity]int // open findings
	Waived     int
	New        int
	Resolved   int
}

// FamilyStats is the mean time to resolve of one check family (CSA-LOCAL for
// CSA-LOCAL-003): over findings that were present and then gone, from the
// first run they were seen in to the first run without them.
type FamilyStats struct {
	Family   string
	Resolved int
	Mean     time.Duration
}

// HistoryStats summarises a history: per run, and per check family.
type HistoryStats struct {
	Runs     []RunStats
	Families []FamilyStats
	// OldestOpen is, per severity, the age at the last run of its oldest
	// open finding.
	OldestOpen map[report.Severity]time.Duration
}

// family is a check id without its number.
func family(checkID string) string {
	if i := strings.LastIndex(checkID, "-"); i > 0 {
		return checkID[:i]
	}
	return checkID
}

// Stats walks the history in time order.
func Stats(entries []HistoryEntry) HistoryStats {
	st := HistoryStats{OldestOpen: map[report.Severity]time.Duration{}}
	since := map[string]time.Time{}     // present finding id -> first seen
	checkOf := map[string]string{}      // finding id -> check id
	total := map[string]time.Duration{} // family -> summed time to resolve
	count := map[string]int{}
	var last map[string]HistoryFinding
	for _, e := range entries {
		cur := e.present()
		rs := RunStats{At: e.GeneratedAt, BySeverity: map[report.Severity]int{}}
		for _, s := range report.Severities {
			rs.BySeverity[s] = 0
		}
		for id, f := range cur {
			if f.CheckID != "" {
				checkOf[id] = f.CheckID
			}
			if _, ok := since[id]; !ok {
				since[id] = e.GeneratedAt
				rs.New++
			}
			if f.Status == report.Waived {
				rs.Waived++
			} else if f.Severity != "" {
				rs.BySeverity[f.Severity]++
			}
		}
		for id := range last {
			if _, ok := cur[id]; ok {
				continue
			}
			rs.Resolved++
			fam := family(checkOf[id])
			total[fam] += e.GeneratedAt.Sub(since[id])
			count[fam]++
			delete(since, id)
		}
		st.Runs = append(st.Runs, rs)
		last = cur
	}
	if n := len(entries); n > 0 {
		at := entries[n-1].GeneratedAt
		for id, f := range last {
			if f.Status == report.Waived || f.Severity == "" {
				continue
			}
			if age := at.Sub(since[id]); age >= st.OldestOpen[f.Severity] {
				st.OldestOpen[f.Severity] = age
			}
		}
	}
	for fam, n := range count {
		st.Families = append(st.Families, FamilyStats{Family: fam, Resolved: n, Mean: total[fam] / time.Duration(n)})
	}
	sort.Slice(st.Families, func(i, j int) bool { return st.Families[i].Family < st.Families[j].Family })
	return st
}

// WriteTable prints one line per run and the mean time to resolve per family.
func (st HistoryStats) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tCRITICAL\tHIGH\tMEDIUM\tLOW\tINFO\tWAIVED\tNEW\tRESOLVED")
	for _, r := range st.Runs {
		fmt.Fprintf(tw, "%s", r.At.UTC().Format(time.RFC3339))
		for _, s := range report.Severities {
			fmt.Fprintf(tw, "\t%d", r.BySeverity[s])
		}
		fmt.Fprintf(tw, "\t%d\t%d\t%d\n", r.Waived, r.New, r.Resolved)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.Families) == 0 {
		_, err := fmt.Fprintln(w, "\nNo finding has been resolved yet: no time to resolve.")
		return err
	}
	fmt.Fprintln(w, "\nMean time to resolve (first run seen to first run gone):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tRESOLVED\tMEAN")
	for _, f := range st.Families {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", clean(f.Family), f.Resolved, humanDuration(f.Mean))
	}
	return tw.Flush()
}

// WriteProm exports, per severity, the age of the oldest open finding at the
// last run (0 when none is open).
func (st HistoryStats) WriteProm(w io.Writer) error {
	fmt.Fprintln(w, "# HELP csaudit_oldest_open_finding_age_seconds Age at the last run of the oldest open finding, by severity (0: none open).")
	fmt.Fprintln(w, "# TYPE csaudit_oldest_open_finding_age_seconds gauge")
	for _, s := range report.Severities {
		fmt.Fprintf(w, "csaudit_oldest_open_finding_age_seconds{severity=%q} %d\n", s, int64(st.OldestOpen[s]/time.Second))
	}
	fmt.Fprintln(w, "# HELP csaudit_history_runs Runs recorded in the history.")
	fmt.Fprintln(w, "# TYPE csaudit_history_runs gauge")
	_, err := fmt.Fprintf(w, "csaudit_history_runs %d\n", len(st.Runs))
	return err
}

func humanDuration(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	}
	return d.Round(time.Minute).String()
}
