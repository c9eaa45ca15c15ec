package main

import (
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect a config file"}
	var config string
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective config: the file with every default filled in, secrets as <set>",
		Long: `Prints the config as csaudit runs with it: every default applied (SSH and IPMI
concurrency, timeouts, libvirt socket and URI, collector timeouts), relative paths as
written. Secrets that are set (a password in a dsn, ipmi.password, api.api_key) print as
<set>; paths to secret files print as they are.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				return usageErr("--config FILE is required")
			}
			cfg, err := a.loadConfig(config)
			if err != nil {
				return err
			}
			enc := yaml.NewEncoder(a.stdout)
			enc.SetIndent(2)
			if err := enc.Encode(cfg.Redacted()); err != nil {
				return fatal(err)
			}
			return fatal(enc.Close())
		},
	}
	show.Flags().StringVar(&config, "config", "", "config file (YAML)")
	cmd.AddCommand(show)
	return cmd
}
