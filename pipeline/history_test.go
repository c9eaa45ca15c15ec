package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/report"
)

// Lines written before findings were recorded carry only the open ids; they
// still date findings, and a line from after this run is not its past.
func TestApplyHistoryLegacyLines(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`{"generated_at":"2026-11-01T00:00:00Z","open_findings":["aaa","bbb"]}`,
		`{"generated_at":"2026-11-03T00:00:00Z","open_findings":["aaa"]}`,
		`{"generated_at":"2026-12-01T00:00:00Z","open_findings":[]}`,
	}
	if err := os.WriteFile(filepath.Join(dir, HistoryFile), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	r := &report.Report{GeneratedAt: now, Findings: []report.Finding{{ID: "aaa"}, {ID: "bbb"}}}
	if err := ApplyHistory(dir, r); err != nil {
		t.Fatal(err)
	}
	if fs := r.Findings[0].FirstSeen; fs == nil || !fs.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("aaa first seen %v, want 2026-11-01", fs)
	}
	if fs := r.Findings[1].FirstSeen; fs == nil || !fs.Equal(now) {
		t.Errorf("bbb (gone on 11-03) first seen %v, want now", fs)
	}
	h := r.Summary.History
	if h.Runs != 2 || h.New != 1 || h.Persisting != 1 || h.Resolved != 0 {
		t.Errorf("history %+v", h)
	}
	if got := r.Findings[0].Age(now); got != "open 4 days" {
		t.Errorf("age %q", got)
	}
	os.WriteFile(filepath.Join(dir, HistoryFile), []byte("{not json\n"), 0o600)
	if err := ApplyHistory(dir, r); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a malformed line: %v", err)
	}
}
