package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/policies/advisory"
	"github.com/csaudit/csaudit/report/table"
)

func (a *app) advisoriesCmd() *cobra.Command {
	var version, format, file string
	cmd := &cobra.Command{Use: "advisories", Short: "CloudStack advisories and severe known bugs for a version, without a cloud"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List what affects a CloudStack version (or the whole data without --version)",
		Long: `List the published advisories and severe known bugs that affect a CloudStack
version, for planning an upgrade: the same set the advisory checks (CSA-ADV-001..003)
report for a cloud whose servers run that version. Without a cloud nothing shows
whether a feature is switched on, so every entry keeps its mapped severity; the
exposed_when column names what would lower it. Without --version every entry of
the data is listed.`,
		Example: `  csaudit advisories list --version 4.19.0.1
  csaudit advisories list --version 4.20.1.0 --format json
  csaudit advisories list --advisories advisories-2027-01.tsv --version 4.22.0.0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageErr("--format: want table or json")
			}
			cfg, err := a.loadConfig("")
			if err != nil {
				return err
			}
			cfg.Advisories = file
			e, err := pipeline.Engine(cmd.Context(), cfg, nil)
			if err != nil {
				return fatal(err)
			}
			var rows []advisory.Row
			var notes []string
			if version == "" {
				rows = e.Advisories().Rows()
			} else {
				fs, err := e.ForVersion(cmd.Context(), version)
				if err != nil {
					return usageErr("--version: %v", err)
				}
				for _, f := range fs {
					if f.CheckID == "CSA-ADV-003" {
						newest, _ := f.Evidence["newest_on_line"].(string)
						fixes, _ := f.Evidence["fixes"].([]any)
						notes = append(notes, fmt.Sprintf("behind its release line: %s, the newest release of the line in the data, fixes %d of them", newest, len(fixes)))
						continue
					}
					rows = append(rows, advisory.RowFrom(f))
				}
			}
			data := e.Advisories().Summary()
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(map[string]any{"version": version, "advisory_data": data, "entries": nonNil(rows), "notes": nonNil(notes)})
			}
			return advisory.WriteList(a.stdout, data, version, rows, notes)
		},
	}
	list.Flags().StringVar(&version, "version", "", "CloudStack version, e.g. 4.19.0.1 (padded to four parts)")
	list.Flags().StringVar(&format, "format", "table", "table or json")
	list.Flags().StringVar(&file, "advisories", "", "advisory data file replacing the embedded one (advisories.tsv format)")
	cmd.AddCommand(list)
	return cmd
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// showAdvisoryData ends `checks show` of an advisory check with the data it
// judges with.
func (a *app) showAdvisoryData(e *policies.Engine, c *policies.Check) error {
	if !strings.HasPrefix(c.Package, policies.CheckPrefix+"advisory.") {
		return nil
	}
	d := e.Advisories().Summary()
	_, err := fmt.Fprintf(a.stdout, "advisory data: %s, newest advisory %s (%d advisories, %d known bugs); `csaudit advisories list` prints it, docs/advisories.md explains it\n",
		table.Clean(d.Source), d.Date, d.Advisories, d.KnownBugs)
	return err
}
