// Command csaudit audits an Apache CloudStack cloud: it collects facts into a
// snapshot, evaluates the Rego checks and writes reports. The flow lives in
// package pipeline; this command parses flags, one file per subcommand.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/pipeline"
)

func main() {
	// SIGINT or SIGTERM cancels the run: collectors stop, temporary files are
	// removed on the way out, and the exit status says which signal (130,
	// 143). A second signal ends the process at once.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got atomic.Value
	go func() {
		s := <-sigs
		got.Store(s)
		cancel()
		fmt.Fprintf(os.Stderr, "csaudit: %v: stopping (again to stop at once)\n", s)
		<-sigs
		os.Exit(signalStatus(s))
	}()
	// A run's memory is mostly the snapshot and its Rego index, held for
	// seconds: collecting at 40% growth instead of Go's 100% keeps the peak
	// near 1.4x the live data (a 1,000-host / 50,000-VM cloud: about 470 MiB
	// instead of 560) for a little more CPU on the second core (make bench).
	// GOGC, when set, decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(40)
	}
	stopProfile := startProfile()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	signal.Stop(sigs)
	if s, ok := got.Load().(os.Signal); ok {
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "csaudit:", err.Error())
		}
		os.Exit(signalStatus(s))
	}
	cancel()
	if err == nil {
		return
	}
	code := 2
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(os.Stderr, "csaudit:", msg)
	}
	os.Exit(code)
}

// signalStatus is the shell's status for a process ended by s: 128 + number.
func signalStatus(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 130
}

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// app holds what a run depends on besides its arguments, so tests can fix the
// clock and the version.
type app struct {
	now     func() time.Time
	version string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	log     *slog.Logger
	color   bool
	// progress reports host collection on stderr; nil unless stderr is a terminal.
	progress func(done, total, failed int)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := &app{now: time.Now, version: toolVersion(), stdin: stdin, stdout: stdout, stderr: stderr}
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == "" {
		a.color = true
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		a.progress = hosts.TerminalProgress(stderr)
	}
	return a.run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) error {
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	// Cobra's own errors (unknown flag or command) are usage errors.
	return &ExitError{Code: 2, Err: err}
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "csaudit",
		Short:         "Diagnostics and compliance auditor for Apache CloudStack",
		SilenceUsage:  true,
		SilenceErrors: true,
		Long: `csaudit collects facts from a CloudStack cloud (database, hosts over SSH, libvirt,
BMCs, the management server), evaluates them with Rego checks against the documented
prerequisites and hardening rules, and writes reports.

Exit status: 0 no unwaived finding at or above --fail-on, 1 there is one (or, with
--fail-on-error, a check could not be evaluated), 2 usage, config or fatal error.`,
	}
	var verbose bool
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log progress to stderr")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if verbose {
			a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
		}
	}
	root.AddCommand(a.auditCmd(), a.verifyCmd(), a.historyCmd(), a.explainCmd(), a.collectCmd(), a.reportCmd(), a.checksCmd(), a.diffCmd(), a.sshCmd(), a.configCmd(), a.fixCmd(), a.readinessCmd(), a.advisoriesCmd(), a.mergeCmd(), a.versionCmd(), a.manCmd())
	return root
}

// env is what the pipeline needs from this run.
func (a *app) env() pipeline.Env {
	return pipeline.Env{Now: a.now, Version: a.version, Log: a.log, Stdout: a.stdout, Color: a.color, Progress: a.progress}
}

// loadConfig reads --config (or returns an empty config with its defaults).
func (a *app) loadConfig(path string) (*collectors.Config, error) {
	cfg, err := pipeline.LoadConfig(path, a.log)
	return cfg, fatal(err)
}
