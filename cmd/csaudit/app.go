package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/table"
)

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
	root.AddCommand(a.auditCmd(), a.collectCmd(), a.reportCmd(), a.checksCmd(), a.diffCmd(), a.sshCmd(), a.versionCmd(), a.labCmd())
	root.AddCommand(a.advisoriesCmd())
	return root
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print csaudit's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(a.stdout, "csaudit %s\n", a.version)
			return err
		},
	}
}

// source is where an audit's snapshot comes from.
type sourceFlags struct {
	config     string
	lab        bool
	snapshot   string
	collectors string
}

func (s *sourceFlags) add(cmd *cobra.Command, withSnapshot bool) {
	if withSnapshot {
		cmd.Flags().StringVar(&s.config, "config", "", "config file (YAML); with --lab or --snapshot only its policies and waivers apply and nothing is collected")
		cmd.Flags().BoolVar(&s.lab, "lab", false, "audit the embedded lab cloud (demo data)")
		cmd.Flags().StringVar(&s.snapshot, "snapshot", "", "evaluate a saved snapshot instead of collecting")
	} else {
		cmd.Flags().StringVar(&s.config, "config", "", "config file (YAML)")
	}
	cmd.Flags().StringVar(&s.collectors, "collectors", "", "comma list of collectors to run: "+strings.Join(collectors.Names, ","))
}

// loadConfig reads --config, or returns an empty config.
func (a *app) loadConfig(path string) (*collectors.Config, error) {
	if path == "" {
		return &collectors.Config{}, nil
	}
	cfg, err := collectors.LoadConfig(path)
	if err != nil {
		return nil, fatal(readableYAML(err))
	}
	a.warnSecretConfig(cfg)
	return cfg, nil
}

// warnSecretConfig warns when a config that holds a secret is readable by group
// or others.
func (a *app) warnSecretConfig(cfg *collectors.Config) {
	holds := cfg.IPMI != nil && cfg.IPMI.Password != "" ||
		cfg.Database != nil && strings.Contains(strings.SplitN(cfg.Database.DSN, "@", 2)[0], ":")
	if !holds {
		return
	}
	if st, err := os.Stat(cfg.Path); err == nil && st.Mode().Perm()&0o077 != 0 {
		a.log.Warn("config file holds a secret and is readable by group or others; chmod 0600 it", "file", cfg.Path, "mode", fmt.Sprintf("%04o", st.Mode().Perm()))
	}
}

// resolve makes a path from the config relative to the config's directory.
func resolve(cfg *collectors.Config, p string) string {
	if p == "" || filepath.IsAbs(p) || cfg.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(cfg.Path), p)
}

// checkSource rejects flag combinations before anything is loaded. --config
// may accompany --lab or --snapshot: then only its policies and waivers apply.
func checkSource(src sourceFlags) error {
	switch {
	case src.lab && src.snapshot != "":
		return usageErr("use one of --lab and --snapshot")
	case src.lab && src.collectors != "":
		return usageErr("--collectors does not apply to --lab")
	case src.snapshot != "" && src.collectors != "":
		return usageErr("--collectors does not apply to --snapshot")
	}
	return nil
}

// snapshotFor produces the snapshot an audit evaluates: the lab, a saved file,
// or a fresh collection. It returns the snapshot and its exact JSON bytes.
func (a *app) snapshotFor(ctx context.Context, src sourceFlags, cfg *collectors.Config) (*collectors.Snapshot, []byte, error) {
	if err := checkSource(src); err != nil {
		return nil, nil, err
	}
	switch {
	case src.lab:
		b := fixtures.Lab()
		s, err := collectors.DecodeSnapshot(b)
		if err != nil {
			return nil, nil, fatal(fmt.Errorf("embedded lab: %w", err))
		}
		return s, b, nil
	case src.snapshot != "":
		s, b, err := collectors.LoadSnapshot(src.snapshot)
		if err != nil {
			return nil, nil, fatal(err)
		}
		return s, b, nil
	}
	s, err := a.collect(ctx, src, cfg)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.Encode()
	if err != nil {
		return nil, nil, fatal(err)
	}
	return s, b, nil
}

func (a *app) collect(ctx context.Context, src sourceFlags, cfg *collectors.Config) (*collectors.Snapshot, error) {
	sel := cfg.EnabledCollectors()
	if src.collectors != "" {
		var err error
		if sel, err = collectors.ParseSelection(src.collectors); err != nil {
			return nil, usageErr("--collectors: %v", err)
		}
	}
	if len(sel) == 0 {
		return nil, usageErr("nothing to collect: give --config with a database, ssh, ipmi or local section, --collectors, --snapshot or --lab")
	}
	if err := sectionsFor(sel, cfg); err != nil {
		return nil, err
	}
	r := &collectors.Runner{
		Collectors: buildCollectors(cfg, a.progress),
		Selected:   sel,
		Timeout:    cfg.CollectorTimeouts(),
		Targets:    cfg.Inventory,
		Tool:       collectors.Tool{Name: "csaudit", Version: a.version},
		Now:        a.now,
	}
	a.log.Info("collecting", "collectors", strings.Join(selectedNames(sel), ","))
	s, err := r.Run(ctx)
	if err != nil {
		return nil, fatal(err)
	}
	s.Meta.Name = cfg.Name
	for _, e := range s.CollectorErrors {
		a.log.Warn("collector error", "collector", e.Collector, "target", e.Target, "error", e.Error)
	}
	return s, nil
}

// sectionsFor refuses a selected collector that cannot run without its config
// section: without this, the run would only record a collector error and exit
// 0 with nothing collected. ipmi (passive probes) and local (root /) have
// usable defaults.
func sectionsFor(sel map[string]bool, cfg *collectors.Config) error {
	missing := func(n, section string) error {
		if cfg.Path == "" {
			return usageErr("collector %s is selected but no --config with a %s: section was given", n, section)
		}
		return usageErr("collector %s is selected but %s has no %s: section", n, cfg.Path, section)
	}
	for _, n := range selectedNames(sel) {
		switch {
		case n == collectors.NameDatabase && cfg.Database == nil:
			return missing(n, "database")
		case (n == collectors.NameHosts || n == collectors.NameLibvirt) && cfg.SSH == nil:
			return missing(n, "ssh")
		}
	}
	return nil
}

func selectedNames(sel map[string]bool) []string {
	var out []string
	for _, n := range collectors.Names {
		if sel[n] {
			out = append(out, n)
		}
	}
	return out
}

// engine loads the checks with the config's and the flags' policy dirs and params.
func (a *app) engine(ctx context.Context, cfg *collectors.Config, dirs []string) (*policies.Engine, error) {
	all := append([]string{}, dirs...)
	for _, d := range cfg.Policies.Dirs {
		all = append(all, resolve(cfg, d))
	}
	// Parameters are validated here, where the config's name is known.
	defaults, err := policies.DefaultParams()
	if err != nil {
		return nil, fatal(err)
	}
	if _, err := policies.MergeParams(defaults, cfg.Policies.Params); err != nil {
		return nil, fatal(fmt.Errorf("config %s: %w", cfg.Path, err))
	}
	adv, err := loadAdvisories(cfg)
	if err != nil {
		return nil, err
	}
	e, err := policies.New(ctx, policies.Options{Dirs: all, Params: cfg.Policies.Params, Advisories: adv})
	if err != nil {
		return nil, fatal(err)
	}
	return e, nil
}

// writeOutputs renders every requested format into memory first, then writes
// the files into a temporary directory inside outDir and renames them into
// place only when all are written: a failure leaves outDir as it was.
func (a *app) writeOutputs(r *report.Report, fs []outputFormat, outDir string, extra map[string][]byte) error {
	files := map[string][]byte{}
	for name, b := range extra {
		files[name] = b
	}
	var stdoutJSON bool
	for _, f := range fs {
		if f.file == "" {
			continue
		}
		if outDir == "" {
			if f.name == "json" && len(needsOut(fs)) == 1 {
				stdoutJSON = true
				continue
			}
			return usageErr("--out DIR is required for --format %s", strings.Join(needsOut(fs), ","))
		}
		var buf strings.Builder
		if err := f.write(&buf, r); err != nil {
			return fatal(fmt.Errorf("render %s: %w", f.name, err))
		}
		files[f.file] = []byte(buf.String())
	}
	if len(files) > 0 {
		if err := writeAll(outDir, files); err != nil {
			return fatal(err)
		}
	}
	for _, f := range fs {
		switch {
		case f.name == "table":
			if err := table.WriteOptions(a.stdout, r, table.Options{Color: a.color}); err != nil {
				return fatal(err)
			}
		case f.name == "json" && stdoutJSON:
			if err := report.WriteJSON(a.stdout, r); err != nil {
				return fatal(err)
			}
		}
	}
	return nil
}

// writeAll puts every file into dir or none of them. The files are written
// (and synced) in a temporary directory inside dir, each target is checked to
// be replaceable, and only then are they renamed into place; should a rename
// still fail, the ones already moved are put back as they were. A dir this
// call created is removed again on failure.
func writeAll(dir string, files map[string][]byte) (err error) {
	created := false
	if _, statErr := os.Stat(dir); os.IsNotExist(statErr) {
		created = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(dir, ".csaudit-out-*")
	if err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	defer func() {
		os.RemoveAll(tmp)
		if err != nil && created {
			os.Remove(dir) // only succeeds when empty
		}
	}()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := collectors.WriteFileAtomic(filepath.Join(tmp, name), files[name], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
		target := filepath.Join(dir, name)
		if st, err := os.Lstat(target); err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("write %s: exists and is not a regular file; nothing was written to %s", target, dir)
		}
	}
	// Previous versions are kept as hard links until every rename succeeded.
	type moved struct{ name, backup string }
	var done []moved
	for _, name := range names {
		target := filepath.Join(dir, name)
		backup := ""
		if _, err := os.Lstat(target); err == nil {
			backup = filepath.Join(tmp, name+".previous")
			if err := os.Link(target, backup); err != nil {
				backup = "" // no hard links here: the old file is replaced without a copy
			}
		}
		if err := os.Rename(filepath.Join(tmp, name), target); err != nil {
			for i := len(done) - 1; i >= 0; i-- {
				t := filepath.Join(dir, done[i].name)
				if done[i].backup != "" {
					os.Rename(done[i].backup, t)
				} else {
					os.Remove(t)
				}
			}
			return fmt.Errorf("write %s: %w; nothing was written to %s", target, err, dir)
		}
		done = append(done, moved{name, backup})
	}
	return nil
}

// gate turns the report into the exit status.
func gate(r *report.Report, failOn string, failOnError bool) error {
	if failOn != "" {
		sev, err := report.ParseSeverity(failOn)
		if err != nil {
			return usageErr("--fail-on: %v", err)
		}
		if r.HasOpenAtOrAbove(sev) {
			return &ExitError{Code: 1}
		}
	}
	if failOnError && r.HasCheckErrors() {
		return &ExitError{Code: 1}
	}
	return nil
}
