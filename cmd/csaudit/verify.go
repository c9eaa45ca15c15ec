package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/pipeline"
)

func (a *app) verifyCmd() *cobra.Command {
	var o pipeline.VerifyOptions
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a signed run: signature, file digests, and findings re-derived from its snapshot",
		Long: `Check a directory written by audit --out DIR --sign KEY: the SSHSIG signature over
csaudit-manifest.json, every file's SHA-256 against the manifest, the snapshot against
the report, and the report's findings against a fresh evaluation of the snapshot with
the recorded policy bundle, parameters and waivers, on the report's clock.

Exit status: 0 verified, 1 a mismatch (each one listed), 2 usage or unreadable input.`,
		Example: `  csaudit verify /var/lib/csaudit/2026-12-07 --allowed-signers allowed_signers --identity auditor`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := pipeline.Verify(cmd.Context(), a.env(), args[0], o)
			if err != nil {
				return fatal(err)
			}
			if err := v.WriteText(a.stdout, args[0]); err != nil {
				return fatal(err)
			}
			if len(v.Problems) > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("%s: %d mismatch(es): not verified", args[0], len(v.Problems))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.AllowedSigners, "allowed-signers", "", "OpenSSH allowed-signers file the signing key must be listed in (namespace csaudit)")
	cmd.Flags().StringVar(&o.Identity, "identity", "", "principal the key must be listed for (with --allowed-signers)")
	cmd.Flags().StringArrayVar(&o.PolicyDirs, "policy-dir", nil, "the run's custom policy directory (repeatable)")
	cmd.Flags().StringVar(&o.Advisories, "advisories", "", "the run's replacement advisory data file, if it had one")
	return cmd
}
