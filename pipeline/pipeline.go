// Package pipeline is the flow every csaudit command shares: load the config,
// build and run the collectors (or load a saved snapshot), evaluate the checks
// into a report, write the selected formats all or nothing, and turn the
// report into an exit decision. These are plain functions: the CLI parses
// flags and calls them, and so do fix and readiness.
package pipeline

import (
	"io"
	"log/slog"
	"time"
)

// Env is what a run depends on besides its arguments: the clock, the tool's
// version, where logs and the terminal table go. Tests fix the clock.
type Env struct {
	Now     func() time.Time
	Version string
	Log     *slog.Logger
	Stdout  io.Writer
	// Color turns on severity colours in the terminal table.
	Color bool
	// Progress, when not nil, is told after each host (terminals only).
	Progress func(done, total, failed int)
}

func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

func (e Env) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return e.Log
}
