package main

import (
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/pipeline/seal"
)

// sourceFlags are where a command's snapshot comes from.
type sourceFlags struct {
	config string
	src    pipeline.Source
}

func (s *sourceFlags) add(cmd *cobra.Command, withSnapshot bool) {
	if withSnapshot {
		cmd.Flags().StringVar(&s.config, "config", "", "config file (YAML); with --lab or --snapshot only its policies and waivers apply and nothing is collected")
		cmd.Flags().BoolVar(&s.src.Lab, "lab", false, "audit the embedded lab cloud (demo data)")
		cmd.Flags().StringVar(&s.src.SnapshotFile, "snapshot", "", "evaluate a saved snapshot instead of collecting")
	} else {
		cmd.Flags().StringVar(&s.config, "config", "", "config file (YAML)")
	}
	cmd.Flags().StringVar(&s.src.Collectors, "collectors", "", "comma list of collectors to run: "+strings.Join(collectors.Names, ","))
	cmd.Flags().StringArrayVar(&s.src.Zones, "zone", nil, "collect only this zone (name or uuid; repeatable): its database rows and its hosts")
}

func (a *app) auditCmd() *cobra.Command {
	var (
		src        sourceFlags
		formats    string
		out        string
		gate       pipeline.Gate
		waivers    string
		policyDirs []string
		history    string
		signKey    string
		advisories string
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Collect (or load) a snapshot, evaluate every check and write reports",
		Long: `Collect (or load) a snapshot, evaluate every check and write reports.

With --lab or --snapshot, --config contributes only its policies (dirs, params) and
waivers: nothing is collected, so a saved snapshot re-evaluates with the thresholds
and waivers it was audited with.`,
		Example: `  csaudit audit --lab
  csaudit audit --config /etc/csaudit/config.yaml --format table,json,html --out /var/lib/csaudit/$(date +%F)
  csaudit audit --snapshot csaudit-snapshot.json.gz --config /etc/csaudit/config.yaml --fail-on high`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// Every flag is checked before anything is loaded or collected.
			if err := src.src.Validate(); err != nil {
				return usageErr("%v", err)
			}
			o, err := pipeline.ParseOutput(formats, out)
			if err != nil {
				return usageErr("%v", err)
			}
			if err := gate.Validate(); err != nil {
				return usageErr("%v", err)
			}
			if signKey != "" && out == "" {
				return usageErr("--sign needs --out DIR")
			} else if signKey != "" {
				o, _ = pipeline.ParseOutput(formats+",json", out) // verify re-derives the json report
			}
			cfg, err := a.loadConfig(src.config)
			if err != nil {
				return err
			}
			if advisories != "" {
				cfg.Advisories = advisories // the flag is relative to the working directory
				if abs, err := filepath.Abs(advisories); err == nil {
					cfg.Advisories = abs
				}
			}
			pub := pipeline.Publish{Output: o, History: history, Gate: gate}
			if err := pub.Prepare(); err != nil {
				return fatal(err)
			}
			if signKey != "" {
				if pub.Signer, err = seal.LoadSigner(signKey, seal.Passphrase(a.stdin, a.stderr)); err != nil {
					return fatal(err)
				}
			}
			env := a.env()
			res, err := pipeline.Audit{Source: src.src, Waivers: waivers, PolicyDirs: policyDirs}.Run(ctx, env, cfg)
			if err != nil {
				return fatal(err)
			}
			if err := pub.Run(env, res); err != nil {
				return fatal(err)
			}
			return gateErr(gate, res.Report)
		},
	}
	src.add(cmd, true)
	cmd.Flags().StringVar(&formats, "format", "table", "comma list of formats: "+pipeline.FormatNames())
	cmd.Flags().StringVar(&out, "out", "", "directory for report files and "+pipeline.SnapshotFile)
	cmd.Flags().StringVar(&gate.FailOn, "fail-on", "", "exit 1 when an unwaived finding is at or above this severity")
	cmd.Flags().BoolVar(&gate.FailOnError, "fail-on-error", false, "exit 1 when a check could not evaluate every resource (status error, or fail with resources not evaluated)")
	cmd.Flags().BoolVar(&gate.AllowPartial, "allow-partial", false, "with --fail-on or --fail-on-error, gate on what was collected even when a selected collector produced nothing (otherwise exit 2)")
	cmd.Flags().StringVar(&waivers, "waivers", "", "waiver file (YAML); overrides the config's waivers")
	cmd.Flags().StringArrayVar(&policyDirs, "policy-dir", nil, "extra directory of Rego checks (repeatable)")
	cmd.Flags().StringVar(&history, "history", "", "date findings from the runs in DIR/history.jsonl (first_seen; new, persisting, resolved) and append this run")
	cmd.Flags().StringVar(&signKey, "sign", "", "sign the run with this OpenSSH private key (ed25519 or ECDSA): writes "+seal.ManifestFile+" and "+seal.SignatureFile+" to --out (passphrase: $CSAUDIT_SIGN_PASSPHRASE or a prompt)")
	cmd.Flags().StringVar(&advisories, "advisories", "", "advisory data file replacing the embedded one (advisories.tsv format; overrides the config's advisories:)")
	return cmd
}
