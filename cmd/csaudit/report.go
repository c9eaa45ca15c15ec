package main

import (
	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/report"
)

func (a *app) reportCmd() *cobra.Command {
	var (
		formats string
		out     string
	)
	cmd := &cobra.Command{
		Use:   "report REPORT.json",
		Short: "Re-render a saved JSON report in other formats",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := pipeline.ParseOutput(formats, out)
			if err != nil {
				return usageErr("%v", err)
			}
			r, err := report.LoadJSON(args[0])
			if err != nil {
				return fatal(err)
			}
			return fatal(pipeline.Write(a.env(), r, o, nil))
		},
	}
	cmd.Flags().StringVar(&formats, "format", "table", "comma list of formats: "+pipeline.FormatNames())
	cmd.Flags().StringVar(&out, "out", "", "directory for report files")
	return cmd
}
