package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/pipeline"
)

func (a *app) collectCmd() *cobra.Command {
	var (
		src sourceFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect a snapshot without evaluating it",
		Long:  "Exits 0 when the snapshot is written (collector errors are recorded inside it), 2 on a fatal error.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr("-o SNAPSHOT.json[.gz] is required")
			}
			cfg, err := a.loadConfig(src.config)
			if err != nil {
				return err
			}
			sel, err := cfg.Select(src.src.Collectors)
			if err != nil {
				return usageErr("%v", err)
			}
			cfg.Zones = append(cfg.Zones, src.src.Zones...)
			s, err := pipeline.Collect(cmd.Context(), a.env(), cfg, sel)
			if err != nil {
				return fatal(err)
			}
			b, err := s.Encode()
			if err != nil {
				return fatal(err)
			}
			if err := collectors.WriteFileAtomic(out, b, 0o600); err != nil {
				return fatal(fmt.Errorf("write %s: %w", out, err))
			}
			a.log.Info("snapshot written", "file", out, "collector_errors", len(s.CollectorErrors))
			return nil
		},
	}
	src.add(cmd, false)
	cmd.Flags().StringVarP(&out, "output", "o", "", "snapshot file to write (.gz compresses)")
	return cmd
}
