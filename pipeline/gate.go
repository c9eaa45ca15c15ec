package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/csaudit/csaudit/report"
)

// Gate is the exit decision of an audit-like command.
type Gate struct {
	// FailOn is the lowest severity of an unwaived finding that fails the
	// run; "" fails on nothing.
	FailOn string
	// FailOnError also fails a run with a check in error, or failed with
	// resources it could not evaluate.
	FailOnError bool
}

// Validate checks the severity name before anything runs.
func (g Gate) Validate() error {
	if g.FailOn == "" {
		return nil
	}
	if _, err := report.ParseSeverity(g.FailOn); err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	return nil
}

// Fails says whether the report fails the gate.
func (g Gate) Fails(r *report.Report) (bool, error) {
	if g.FailOn != "" {
		sev, err := report.ParseSeverity(g.FailOn)
		if err != nil {
			return false, fmt.Errorf("--fail-on: %w", err)
		}
		if r.HasOpenAtOrAbove(sev) {
			return true, nil
		}
	}
	return g.FailOnError && r.HasCheckErrors(), nil
}

// HistoryEntry is one line of DIR/history.jsonl: enough to chart a cloud's
// findings over time and to tell which problems are new.
type HistoryEntry struct {
	GeneratedAt time.Time      `json:"generated_at"`
	Snapshot    string         `json:"snapshot_sha256"`
	Target      report.Target  `json:"target"`
	Summary     report.Summary `json:"summary"`
	Open        []string       `json:"open_findings"`
	// Findings lists every finding present, waived too (history.go).
	Findings []HistoryFinding `json:"findings,omitempty"`
}

// AppendHistory appends the report's summary and open finding ids to
// dir/history.jsonl.
func AppendHistory(dir string, r *report.Report) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("--history %s: %w", dir, err)
	}
	e := HistoryEntry{GeneratedAt: r.GeneratedAt, Snapshot: r.Snapshot.SHA256, Target: r.Target, Summary: r.Summary, Open: []string{}, Findings: historyFindings(r)}
	for _, f := range r.Findings {
		if f.Status != report.Waived {
			e.Open = append(e.Open, f.ID)
		}
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "history.jsonl")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	// One write of a whole line, so concurrent runs never interleave within a line.
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("--history %s: %w", path, err)
	}
	return f.Close()
}
