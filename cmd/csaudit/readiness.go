package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/readiness"
)

func (a *app) readinessCmd() *cobra.Command {
	var (
		src           sourceFlags
		host, cluster string
		strict        bool
		formats, out  string
	)
	cmd := &cobra.Command{
		Use:   "readiness",
		Short: "Go or no-go for putting a host, or a cluster host after host, into maintenance",
		Long: `Simulate CloudStack's own maintenance pre-checks and allocator on the target
cluster's rows: every VM needs a destination (capacity with overprovisioning,
disable thresholds, host tags, ha.tag, affinity, dedication, local storage strategy),
no VM in a transitional state or migrating, no pending job, not the last Up host.
With --cluster the hosts are drained one after another, as a rolling upgrade would,
and the report says at which host the drain would stop. Rules whose facts were not
collected (BMC, agent) are not checked; --strict makes them no-go. See docs/readiness.md.

Exit status: 0 go, 1 no-go, 2 usage, config or fatal error (also an unknown or
ambiguous host or cluster name: the candidates are listed with their uuids).`,
		Example: `  csaudit readiness --config /etc/csaudit/config.yaml --host kvm-c01-h0001
  csaudit readiness --config /etc/csaudit/config.yaml --cluster kvm-c01 --format table,html --out ./ready
  csaudit readiness --snapshot csaudit-snapshot.json.gz --host 0b2e…-uuid --strict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if host == "" && cluster == "" {
				return usageErr("name a host (--host NAME|UUID) or a cluster (--cluster NAME|UUID)")
			}
			if err := src.src.Validate(); err != nil {
				return usageErr("%v", err)
			}
			o, err := pipeline.ParseOutput(formats, out)
			if err != nil {
				return usageErr("%v", err)
			}
			cfg, err := a.loadConfig(src.config)
			if err != nil {
				return err
			}
			env := a.env()
			snap, raw, err := pipeline.Snapshot(ctx, env, src.src, cfg)
			if err != nil {
				return fatal(err)
			}
			t, err := readiness.Resolve(snap, host, cluster)
			if err != nil {
				var ne *readiness.NameError
				if errors.As(err, &ne) {
					return usageErr("%v", err)
				}
				return fatal(err)
			}
			res, err := readiness.Judge(snap, t, readiness.Options{Strict: strict})
			if err != nil {
				return fatal(err)
			}
			r := pipeline.Base(env, snap, raw)
			res.Apply(r)
			if err := pipeline.WriteEvidence(env, r, o, raw); err != nil {
				return fatal(err)
			}
			if res.NoGo() {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	src.add(cmd, true)
	cmd.Flags().StringVar(&host, "host", "", "the host to judge: name or uuid")
	cmd.Flags().StringVar(&cluster, "cluster", "", "drain every host of this cluster (name or uuid); with --host, where to look the host up")
	cmd.Flags().BoolVar(&strict, "strict", false, "a rule that could not be checked (BMC, agent) makes the verdict no-go")
	cmd.Flags().StringVar(&formats, "format", "table", "comma list of formats: "+pipeline.FormatNames())
	cmd.Flags().StringVar(&out, "out", "", "directory for report files and "+pipeline.SnapshotFile)
	return cmd
}
