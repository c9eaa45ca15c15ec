package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/report"
)

// historyEntry is one line of DIR/history.jsonl: enough to chart a cloud's
// findings over time and to tell which problems are new.
type historyEntry struct {
	GeneratedAt time.Time      `json:"generated_at"`
	Snapshot    string         `json:"snapshot_sha256"`
	Target      report.Target  `json:"target"`
	Summary     report.Summary `json:"summary"`
	Open        []string       `json:"open_findings"`
}

func appendHistory(dir string, r *report.Report) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("--history %s: %w", dir, err)
	}
	e := historyEntry{GeneratedAt: r.GeneratedAt, Snapshot: r.Snapshot.SHA256, Target: r.Target, Summary: r.Summary, Open: []string{}}
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

func (a *app) diffCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Show findings added and resolved between two JSON reports",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			old, err := report.LoadJSON(args[0])
			if err != nil {
				return fatal(err)
			}
			cur, err := report.LoadJSON(args[1])
			if err != nil {
				return fatal(err)
			}
			d := report.Diff(old, cur)
			switch format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			case "table":
				return writeDiff(a.stdout, d)
			}
			return usageErr("--format: want table or json")
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}
