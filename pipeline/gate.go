package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/csaudit/csaudit/collectors"
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
	// AllowPartial gates on what was collected even when a selected
	// collector produced nothing (see Incomplete).
	AllowPartial bool
}

// Gating says whether the gate can fail a run at all.
func (g Gate) Gating() bool { return g.FailOn != "" || g.FailOnError }

// Incomplete lists the selected collectors that produced nothing: the
// collector failed as a whole, or every fact it owns failed for every
// resource. A gate over such a run would pass checks it never fed.
func Incomplete(s *collectors.Snapshot) []string {
	var out []string
	for _, n := range collectors.Names {
		run, ok := s.Meta.Collectors[n]
		if !ok || !run.Selected {
			continue
		}
		if !run.OK {
			out = append(out, fmt.Sprintf("%s failed: %s", n, run.Error))
			continue
		}
		facts, collected, failed := 0, 0, 0
		var reason string
		for _, c := range s.Coverage {
			if c == nil || c.Collector != n {
				continue
			}
			facts++
			collected += len(c.Collected)
			failed += len(c.Failed)
			for _, r := range c.Failed {
				if reason == "" || r < reason {
					reason = r
				}
			}
		}
		if facts > 0 && collected == 0 && failed > 0 {
			out = append(out, fmt.Sprintf("%s collected nothing (%s)", n, reason))
		}
	}
	return out
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

// HistoryFile is the history's file inside its directory.
const HistoryFile = "history.jsonl"

// PrepareHistory makes sure the history can be appended to before anything of
// the run is written, and repairs a last line a killed run left torn (it is
// dropped: a line is whole or not there).
func PrepareHistory(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("--history %s: %w", dir, err)
	}
	path := filepath.Join(dir, HistoryFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("--history %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("--history %s: not a regular file", path)
	}
	if st.Size() == 0 {
		return nil
	}
	// Find the end of the last whole line, reading back from the end.
	end := st.Size()
	buf := make([]byte, 64<<10)
	for end > 0 {
		n := int64(len(buf))
		if n > end {
			n = end
		}
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return fmt.Errorf("--history %s: %w", path, err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	if end == st.Size() {
		return nil
	}
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("--history %s: repairing a torn last line: %w", path, err)
	}
	return f.Sync()
}

// AppendHistory appends the report's summary and open finding ids to
// dir/history.jsonl as one whole line: a short write is undone.
func AppendHistory(dir string, r *report.Report) error {
	if err := PrepareHistory(dir); err != nil {
		return err
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
	path := filepath.Join(dir, HistoryFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("--history %s: %w", path, err)
	}
	// One write of a whole line, so concurrent runs never interleave within a
	// line; should it come up short, the part is cut off again.
	line := append(b, '\n')
	if n, err := f.Write(line); err != nil || n != len(line) {
		f.Truncate(st.Size())
		if err == nil {
			err = io.ErrShortWrite
		}
		return fmt.Errorf("--history %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("--history %s: %w", path, err)
	}
	return f.Close()
}
