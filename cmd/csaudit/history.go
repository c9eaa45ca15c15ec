package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/pipeline"
)

func (a *app) historyCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "history DIR",
		Short: "Per run of an --history DIR: open findings by severity, new, resolved, and mean time to resolve per check family",
		Example: `  csaudit history /var/lib/csaudit/history
  csaudit history /var/lib/csaudit/history --format prom > /var/lib/node_exporter/csaudit_history.prom`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if format != "table" && format != "prom" {
				return usageErr("--format: want table or prom, got %q", format)
			}
			es, err := pipeline.LoadHistory(args[0])
			if err != nil {
				return fatal(err)
			}
			if len(es) == 0 {
				return fatal(fmt.Errorf("history %s: no runs recorded (audit --history %s adds one)", args[0], args[0]))
			}
			st := pipeline.Stats(es)
			if format == "prom" {
				return fatal(st.WriteProm(a.stdout))
			}
			return fatal(st.WriteTable(a.stdout))
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, or prom: the oldest open finding's age per severity")
	return cmd
}
