package main

import (
	"fmt"

	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/report"
)

// ExitError carries the process exit status: 1 for findings at or above
// --fail-on (or check errors with --fail-on-error), 2 for usage, config and
// fatal errors. Only main calls os.Exit.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the status main exits with.
func (e *ExitError) ExitCode() int { return e.Code }

func usageErr(format string, args ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf(format, args...)}
}

func fatal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*ExitError); ok {
		return err
	}
	return &ExitError{Code: 2, Err: err}
}

// gateErr turns the report into the exit status.
func gateErr(g pipeline.Gate, r *report.Report) error {
	fail, err := g.Fails(r)
	if err != nil {
		return usageErr("%v", err)
	}
	if fail {
		return &ExitError{Code: 1}
	}
	return nil
}
