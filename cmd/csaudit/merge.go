package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/report"
)

func (a *app) mergeCmd() *cobra.Command {
	var (
		formats string
		out     string
		gate    pipeline.Gate
	)
	cmd := &cobra.Command{
		Use:   "merge REPORT.json REPORT.json...",
		Short: "Combine the JSON reports of disjoint zones of one cloud into one report",
		Long: `Combine the JSON reports of disjoint zones of one cloud (each from csaudit audit --zone)
into one report: the same checks with the worst status any zone gave them, findings
united, the summary recomputed, and each zone's snapshot digest kept under "parts".
Zones that overlap, another cloud's report or another set of checks are refused.`,
		Example: `  csaudit merge zone-a/csaudit-report.json zone-b/csaudit-report.json --format json,html --out merged/`,
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := pipeline.ParseOutput(formats, out)
			if err != nil {
				return usageErr("%v", err)
			}
			if err := gate.Validate(); err != nil {
				return usageErr("%v", err)
			}
			var parts []*report.Report
			for _, p := range args {
				r, err := report.LoadJSON(p)
				if err != nil {
					return fatal(err)
				}
				parts = append(parts, r)
			}
			env := a.env()
			r, err := report.Merge(parts, report.Tool{Name: "csaudit", Version: env.Version}, env.Now())
			if err != nil {
				return fatal(fmt.Errorf("merge: %w", err))
			}
			if err := pipeline.Write(env, r, o, nil); err != nil {
				return fatal(err)
			}
			return gateErr(gate, r)
		},
	}
	cmd.Flags().StringVar(&formats, "format", "table", "comma list of formats: "+pipeline.FormatNames())
	cmd.Flags().StringVar(&out, "out", "", "directory for report files")
	cmd.Flags().StringVar(&gate.FailOn, "fail-on", "", "exit 1 when an unwaived finding is at or above this severity")
	cmd.Flags().BoolVar(&gate.FailOnError, "fail-on-error", false, "exit 1 when a check could not evaluate every resource")
	return cmd
}
