package main

import (
	"fmt"
	"io"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/pipeline"
)

func (a *app) sshCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ssh", Short: "SSH helpers for the host collectors"}
	var config, out string
	scan := &cobra.Command{
		Use:   "keyscan",
		Short: "Collect the KVM hosts' SSH host keys as known_hosts lines for review",
		Long: `Connects to every KVM host (from the database, or the config's inventory), records each
host key the server offers and authenticates nowhere. Review the file out of band, then point
ssh.known_hosts at it: csaudit never trusts a key it has not been given.

Exits 0 when every host answered, 1 when some did not (the file holds the others), 2 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr("--out FILE is required")
			}
			cfg, err := a.loadConfig(config)
			if err != nil {
				return err
			}
			targets, err := pipeline.Targets(cmd.Context(), a.env(), cfg)
			if err != nil {
				return fatal(err)
			}
			lines, errs := sshpool.Keyscan(cmd.Context(), cfg, targets)
			for _, e := range errs {
				a.log.Warn("keyscan", "host", e.Target, "error", e.Error)
			}
			if len(lines) == 0 {
				return fatal(fmt.Errorf("no host key collected from %d target(s)", len(targets)))
			}
			if err := collectors.WriteFileAtomic(out, []byte(sshpool.KeyscanText(lines)), 0o644); err != nil {
				return fatal(fmt.Errorf("write %s: %w", out, err))
			}
			fmt.Fprintf(a.stderr, "%d key(s) from %d host(s) written to %s; review them before use\n", len(lines), len(targets)-len(errs), out)
			if len(errs) > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	scan.Flags().StringVar(&config, "config", "", "config file (ssh section; database or inventory for the targets)")
	scan.Flags().StringVar(&out, "out", "", "known_hosts file to write")
	var user string
	sudo := &cobra.Command{
		Use:   "sudoers",
		Short: "Print the sudoers drop-in for a non-root audit user",
		Long: `Prints the drop-in that allows the audit user exactly the host script's privileged
reads (iptables-save, ip6tables-save, nft, the agent.properties allowlist grep, test and stat
of the audited files) and nothing else. Install it as /etc/sudoers.d/csaudit, mode 0440, and
check it with visudo -cf. It follows this csaudit version's script: regenerate after upgrades.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !sudoUser.MatchString(user) {
				return usageErr("--user %q: a login name ([a-z_][a-z0-9_-]*, at most 32 characters) is required", user)
			}
			_, err := io.WriteString(a.stdout, hosts.Sudoers(user))
			return err
		},
	}
	sudo.Flags().StringVar(&user, "user", "", "the audit user's login name (ssh.user)")
	cmd.AddCommand(scan, sudo)
	return cmd
}

// sudoUser is a portable login name: nothing sudoers would read as syntax.
var sudoUser = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
