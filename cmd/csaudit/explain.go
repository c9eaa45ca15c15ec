package main

import (
	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/pipeline"
)

func (a *app) explainCmd() *cobra.Command {
	var (
		reportFile, snapshotFile, config string
		policyDirs                       []string
	)
	cmd := &cobra.Command{
		Use:   "explain FINDING-ID (--report FILE | --snapshot FILE)",
		Short: "Show what a finding rests on: the check, its evidence, the snapshot values behind it, remediation and fix",
		Example: `  csaudit explain 3f9a1c2e --report out/csaudit-report.json
  csaudit explain 3f9a1c2e --snapshot out/csaudit-snapshot.json.gz --config /etc/csaudit/config.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (reportFile == "") == (snapshotFile == "") {
				return usageErr("use one of --report and --snapshot")
			}
			if reportFile != "" && (config != "" || len(policyDirs) > 0) {
				return usageErr("--config and --policy-dir apply to --snapshot only")
			}
			var x *pipeline.Explanation
			var err error
			if reportFile != "" {
				x, err = pipeline.ExplainReport(reportFile, args[0])
			} else {
				cfg, cerr := a.loadConfig(config)
				if cerr != nil {
					return cerr
				}
				x, err = pipeline.ExplainSnapshot(cmd.Context(), a.env(), cfg, policyDirs, snapshotFile, args[0])
			}
			if err != nil {
				return fatal(err)
			}
			return fatal(x.WriteText(a.stdout))
		},
	}
	cmd.Flags().StringVar(&reportFile, "report", "", "saved csaudit-report.json (its snapshot is read from beside it)")
	cmd.Flags().StringVar(&snapshotFile, "snapshot", "", "saved snapshot, evaluated now")
	cmd.Flags().StringVar(&config, "config", "", "with --snapshot: the config whose policies apply")
	cmd.Flags().StringArrayVar(&policyDirs, "policy-dir", nil, "with --snapshot: extra directory of Rego checks (repeatable)")
	return cmd
}
