package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/remediate"
	"github.com/csaudit/csaudit/report/table"
)

func (a *app) fixCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fix",
		Short: "Plan, apply and undo csaudit's guarded fixes for stuck VMs",
		Long: `Plan, apply and undo csaudit's guarded fixes for VMs stuck in Stopping or Starting
(docs/fixes.md). apply and undo exit 0 when applied (or the dry run is shown, or there
is nothing to undo), 1 when refused (the reason names the precondition that failed),
2 on an error.`,
	}
	cmd.AddCommand(a.fixPlanCmd(), a.fixApplyCmd(), a.fixUndoCmd())
	return cmd
}

func (a *app) fixPlanCmd() *cobra.Command {
	var (
		src        sourceFlags
		out        string
		waivers    string
		policyDirs []string
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Audit (or load a snapshot) and write the fixes its stuck-state findings allow",
		Long: `Collects as audit does (or loads --snapshot), evaluates every check and writes the fix
plan: a fix for each stuck VM whose preconditions hold in this run, advice for the others.
Planning only reads. apply checks everything again, live.`,
		Example: `  csaudit fix plan --config /etc/csaudit/config.yaml --out plan.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if out == "" {
				return usageErr("--out PLAN.json is required")
			}
			if err := src.src.Validate(); err != nil {
				return usageErr("%v", err)
			}
			cfg, err := a.loadConfig(src.config)
			if err != nil {
				return err
			}
			res, err := pipeline.Audit{Source: src.src, Waivers: waivers, PolicyDirs: policyDirs}.Run(ctx, a.env(), cfg)
			if err != nil {
				return fatal(err)
			}
			snap, r, eng := res.Snapshot, res.Report, res.Engine
			p, err := remediate.MakePlan(snap, r.Findings, remediate.Options{
				StuckMinutes: remediate.StuckMinutes(eng.Params()), Now: a.now(), SnapshotSHA256: r.Snapshot.SHA256})
			if err != nil {
				return fatal(err)
			}
			b, err := p.Encode()
			if err != nil {
				return fatal(err)
			}
			if err := collectors.WriteFileAtomic(out, b, 0o600); err != nil {
				return fatal(fmt.Errorf("write %s: %w", out, err))
			}
			_, err = io.WriteString(a.stdout, table.CleanLines(p.Summary(out)))
			return err
		},
	}
	src.add(cmd, true)
	cmd.Flags().StringVar(&out, "out", "", "plan file to write (JSON)")
	cmd.Flags().StringVar(&waivers, "waivers", "", "waiver file (YAML); waived findings get no fix")
	cmd.Flags().StringArrayVar(&policyDirs, "policy-dir", nil, "extra directory of Rego checks (repeatable)")
	return cmd
}

func (a *app) fixApplyCmd() *cobra.Command {
	var (
		config, planFile, id, journal string
		yes                           bool
	)
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Re-check one fix of a plan live and, with --yes, apply it",
		Long: `Re-checks every precondition of the fix live — libvirt on the VM's host through SSH (or
the host's BMC over IPMI when the host is not Up), then the database rows — and prints
the exact statement. Only with --yes does it run the statement: one short transaction,
a single-row UPDATE guarded by the row's full before-image, journalled before COMMIT.
The statement comes from csaudit itself, never from the plan.`,
		Example: `  csaudit fix apply --config /etc/csaudit/config.yaml --plan plan.json --id fx-1a2b3c4d5e6f
  csaudit fix apply --config /etc/csaudit/config.yaml --plan plan.json --id fx-1a2b3c4d5e6f --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" || planFile == "" || id == "" {
				return usageErr("--config, --plan and --id are required")
			}
			cfg, err := a.loadConfig(config)
			if err != nil {
				return err
			}
			p, err := remediate.LoadPlan(planFile)
			if err != nil {
				return fatal(err)
			}
			ap, closeDB, err := remediate.NewApplier(cfg, journal, a.version, a.now)
			if err != nil {
				return fatal(err)
			}
			defer closeDB()
			o, err := ap.Apply(cmd.Context(), p, id, yes)
			return a.fixResult(o, err)
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "config file (YAML) with database.fix_dsn")
	cmd.Flags().StringVar(&planFile, "plan", "", "plan file written by `csaudit fix plan`")
	cmd.Flags().StringVar(&id, "id", "", "id of the fix to apply")
	cmd.Flags().BoolVar(&yes, "yes", false, "apply; without it nothing is changed")
	cmd.Flags().StringVar(&journal, "journal", remediate.DefaultJournalDir, "journal directory (created 0700)")
	return cmd
}

func (a *app) fixUndoCmd() *cobra.Command {
	var config, journal string
	cmd := &cobra.Command{
		Use:   "undo JOURNAL-ID",
		Short: "Restore the row a fix changed, while it is exactly as the fix left it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if config == "" {
				return usageErr("--config is required")
			}
			cfg, err := a.loadConfig(config)
			if err != nil {
				return err
			}
			ap, closeDB, err := remediate.NewApplier(cfg, journal, a.version, a.now)
			if err != nil {
				return fatal(err)
			}
			defer closeDB()
			o, err := ap.Undo(cmd.Context(), args[0])
			return a.fixResult(o, err)
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "config file (YAML) with database.fix_dsn")
	cmd.Flags().StringVar(&journal, "journal", remediate.DefaultJournalDir, "journal directory")
	return cmd
}

// fixResult prints what apply or undo did and maps it to the exit status.
func (a *app) fixResult(o *remediate.Outcome, err error) error {
	if o != nil {
		var b strings.Builder
		_ = o.Write(&b)
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			lines = append(lines, table.Clean(l))
		}
		if _, werr := fmt.Fprintln(a.stdout, strings.Join(lines, "\n")); werr != nil && err == nil {
			err = werr
		}
	}
	var rf *remediate.Refusal
	if errors.As(err, &rf) {
		return &ExitError{Code: 1, Err: err}
	}
	return fatal(err)
}

// fixTypesText is what `checks show` adds for a check whose findings can
// lead to a fix.
func fixTypesText(checkID string) string {
	ts := remediate.TypesFor(checkID)
	if len(ts) == 0 {
		return ""
	}
	return "\nfixes: " + strings.Join(ts, ", ") + " (csaudit fix plan, then csaudit fix apply --id; docs/fixes.md)\n"
}
