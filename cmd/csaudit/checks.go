package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/report/table"
)

func (a *app) checksCmd() *cobra.Command {
	var (
		format     string
		policyDirs []string
		config     string
	)
	cmd := &cobra.Command{Use: "checks", Short: "List or show the checks"}
	load := func(ctx context.Context) (*policies.Engine, error) {
		cfg, err := a.loadConfig(config)
		if err != nil {
			return nil, err
		}
		e, err := pipeline.Engine(ctx, cfg, policyDirs)
		return e, fatal(err)
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List every check with its METADATA",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := load(cmd.Context())
			if err != nil {
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(e.Checks())
			case "table":
				for _, c := range e.Checks() {
					if _, err := fmt.Fprintf(a.stdout, "%-16s %-9s %-18s %s\n", table.Clean(c.ID), c.Severity, table.Clean(c.Category), table.Clean(c.Title)); err != nil {
						return err
					}
				}
				return nil
			}
			return usageErr("--format: want table or json")
		},
	}
	list.Flags().StringVar(&format, "format", "table", "table or json")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one check: description, requirements, remediation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := load(cmd.Context())
			if err != nil {
				return err
			}
			for _, c := range e.Checks() {
				if strings.EqualFold(c.ID, args[0]) {
					if _, err := io.WriteString(a.stdout, table.CleanLines(c.Text())+fixTypesText(c.ID)); err != nil { // METADATA of a custom check is input too
						return err
					}
					return a.showAdvisoryData(e, c)
				}
			}
			return usageErr("no check %q (see `csaudit checks list`)", args[0])
		},
	}
	for _, c := range []*cobra.Command{list, show} {
		c.Flags().StringArrayVar(&policyDirs, "policy-dir", nil, "extra directory of Rego checks (repeatable)")
		c.Flags().StringVar(&config, "config", "", "config file (for policies.dirs)")
	}
	cmd.AddCommand(list, show)
	return cmd
}
