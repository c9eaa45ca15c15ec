package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/table"
)

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
				return table.WriteDiff(a.stdout, d)
			}
			return usageErr("--format: want table or json")
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}
