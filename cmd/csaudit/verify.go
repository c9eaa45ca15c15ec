package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/csaudit/csaudit/pipeline"
)

// passphrase for an encrypted --sign key: $CSAUDIT_SIGN_PASSPHRASE, else a
// prompt when stdin is a terminal.
func (a *app) passphrase() ([]byte, error) {
	if p, ok := os.LookupEnv("CSAUDIT_SIGN_PASSPHRASE"); ok {
		return []byte(p), nil
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, errors.New("the key is encrypted: set CSAUDIT_SIGN_PASSPHRASE (stdin is not a terminal to ask on)")
	}
	fmt.Fprint(a.stderr, "Passphrase for the signing key: ")
	defer fmt.Fprintln(a.stderr)
	return term.ReadPassword(int(f.Fd()))
}

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
			for _, n := range v.Notes {
				fmt.Fprintln(a.stdout, "note:", n)
			}
			if len(v.Problems) > 0 {
				for _, p := range v.Problems {
					fmt.Fprintln(a.stdout, "MISMATCH", p)
				}
				return &ExitError{Code: 1, Err: fmt.Errorf("%s: %d mismatch(es): not verified", args[0], len(v.Problems))}
			}
			who := v.Signer.Fingerprint
			if len(v.Signer.Principals) > 0 {
				who = fmt.Sprintf("%v (%s)", v.Signer.Principals, v.Signer.Fingerprint)
			}
			fmt.Fprintf(a.stdout, "verified: %s signed by %s; %d files match the manifest; %d findings re-derived from the snapshot\n",
				args[0], who, len(v.Manifest.Files), v.Findings)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.AllowedSigners, "allowed-signers", "", "OpenSSH allowed-signers file the signing key must be listed in (namespace csaudit)")
	cmd.Flags().StringVar(&o.Identity, "identity", "", "principal the key must be listed for (with --allowed-signers)")
	cmd.Flags().StringArrayVar(&o.PolicyDirs, "policy-dir", nil, "the run's custom policy directory (repeatable)")
	return cmd
}
