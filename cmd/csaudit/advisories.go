package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/policies/advisory"
	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/table"
)

// loadAdvisories reads the config's advisories: file; nil means the embedded data.
func loadAdvisories(cfg *collectors.Config) (*advisory.Data, error) {
	if cfg.Advisories == "" {
		return nil, nil
	}
	d, err := advisory.Load(resolve(cfg, cfg.Advisories))
	if err != nil {
		return nil, fatal(err)
	}
	return d, nil
}

// setAdvisories lets --advisories (relative to the working directory)
// override the config's advisories: (relative to the config file).
func setAdvisories(cfg *collectors.Config, flag string) error {
	if flag == "" {
		return nil
	}
	abs, err := filepath.Abs(flag)
	if err != nil {
		return usageErr("--advisories %s: %v", flag, err)
	}
	cfg.Advisories = abs
	return nil
}

// planned is one row of `advisories list`.
type planned struct {
	ID               string          `json:"id"`
	Kind             string          `json:"kind"`
	Severity         report.Severity `json:"severity"`
	AdvisorySeverity string          `json:"advisory_severity,omitempty"`
	Published        string          `json:"published,omitempty"`
	Component        string          `json:"component,omitempty"`
	Affected         string          `json:"affected"`
	FixedIn          string          `json:"fixed_in"`
	Summary          string          `json:"summary"`
	Mitigation       string          `json:"mitigation,omitempty"`
	ExposedWhen      string          `json:"exposed_when"`
	Source           string          `json:"source"`
}

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
			cfg := &collectors.Config{}
			if err := setAdvisories(cfg, file); err != nil {
				return err
			}
			adv, err := loadAdvisories(cfg)
			if err != nil {
				return err
			}
			e, err := policies.New(cmd.Context(), policies.Options{Advisories: adv})
			if err != nil {
				return fatal(err)
			}
			var rows []planned
			var notes []string
			if version == "" {
				rows = allEntries(e.Advisories())
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
					rows = append(rows, plannedFrom(f))
				}
			}
			data := e.Advisories().Summary()
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(map[string]any{"version": version, "advisory_data": data, "entries": nonNil(rows), "notes": nonNil(notes)})
			}
			return a.plannedTable(data, version, rows, notes)
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

func plannedFrom(f report.Finding) planned {
	ev := func(k string) string { s, _ := f.Evidence[k].(string); return s }
	p := planned{ID: ev("id"), Kind: ev("kind"), Severity: f.Severity, AdvisorySeverity: ev("advisory_severity"), Published: ev("published"),
		Component: ev("component"), Affected: ev("affected_ranges"), Summary: ev("summary"), Source: ev("source")}
	if groups, ok := f.Evidence["affected"].([]any); ok && len(groups) > 0 {
		if g, ok := groups[0].(map[string]any); ok {
			p.FixedIn, _ = g["fixed_in"].(string)
		}
	}
	if conds, ok := f.Evidence["conditions"].([]any); ok {
		var cs []string
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["gating"] == true {
				cs = append(cs, fmt.Sprint(m["condition"]))
			}
		}
		p.ExposedWhen = strings.Join(cs, "; ")
	}
	return p
}

// allEntries lists the data itself: no version, so nothing is judged.
func allEntries(d *advisory.Data) []planned {
	var out []planned
	for _, e := range d.Entries {
		var fixed []string
		for _, v := range e.Fixed {
			fixed = append(fixed, v.String())
		}
		var cs []string
		for _, c := range e.Conditions {
			if c.Gating {
				cs = append(cs, c.Text)
			}
		}
		out = append(out, planned{ID: e.ID, Kind: e.Kind, Severity: e.Severity, AdvisorySeverity: e.SeverityWord, Published: e.Published,
			Component: e.Component, Affected: e.AffectedText, FixedIn: strings.Join(fixed, ", "), Summary: e.Summary,
			Mitigation: e.Mitigation, ExposedWhen: strings.Join(cs, "; "), Source: e.Source})
	}
	return out
}

func (a *app) plannedTable(d *report.AdvisoryData, version string, rows []planned, notes []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "advisory data: %s, newest advisory %s (%d advisories, %d known bugs)\n", table.Clean(d.Source), d.Date, d.Advisories, d.KnownBugs)
	if version != "" {
		fmt.Fprintf(&b, "%d entries affect %s (exposure not judged without a cloud)\n", len(rows), table.Clean(version))
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "%s\n", table.Clean(n))
	}
	b.WriteString("\n")
	for _, r := range rows {
		fix := r.FixedIn
		if fix == "" {
			fix = "-"
		}
		fmt.Fprintf(&b, "%-9s %-16s %s\n", r.Severity, table.Clean(r.ID), table.Clean(fix))
		if r.Component != "" {
			fmt.Fprintf(&b, "          %s\n", table.Clean(r.Component))
		}
		fmt.Fprintf(&b, "          %s\n", table.Clean(r.Summary))
		if r.ExposedWhen != "" {
			fmt.Fprintf(&b, "          exposed when: %s\n", table.Clean(r.ExposedWhen))
		}
	}
	_, err := fmt.Fprint(a.stdout, b.String())
	return err
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
