package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/report"
)

// SnapshotFile is the evidence written beside the reports.
const SnapshotFile = "csaudit-snapshot.json.gz"

func (a *app) auditCmd() *cobra.Command {
	var (
		src         sourceFlags
		formats     string
		out         string
		failOn      string
		failOnError bool
		waivers     string
		policyDirs  []string
		history     string
		advisories  string
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
			if err := checkSource(src); err != nil {
				return err
			}
			fs, err := parseFormats(formats)
			if err != nil {
				return err
			}
			if failOn != "" {
				if _, err := report.ParseSeverity(failOn); err != nil {
					return usageErr("--fail-on: %v", err)
				}
			}
			if len(needsOut(fs)) > 0 && out == "" && !(len(needsOut(fs)) == 1 && needsOut(fs)[0] == "json") {
				return usageErr("--out DIR is required for --format %s", strings.Join(needsOut(fs), ","))
			}
			cfg, err := a.loadConfig(src.config)
			if err != nil {
				return err
			}
			if err := setAdvisories(cfg, advisories); err != nil {
				return err
			}
			// Waivers and policies are validated before anything is collected.
			ws, err := a.loadWaivers(cfg, waivers)
			if err != nil {
				return err
			}
			eng, err := a.engine(ctx, cfg, policyDirs)
			if err != nil {
				return err
			}
			snap, raw, err := a.snapshotFor(ctx, src, cfg)
			if err != nil {
				return err
			}
			r, err := a.evaluate(ctx, eng, snap, raw, ws)
			if err != nil {
				return err
			}
			extra := map[string][]byte{}
			if out != "" {
				r.Snapshot.File = SnapshotFile
				extra[SnapshotFile] = raw
			}
			if err := a.writeOutputs(r, fs, out, extra); err != nil {
				return err
			}
			if history != "" {
				if err := appendHistory(history, r); err != nil {
					return fatal(err)
				}
			}
			return gate(r, failOn, failOnError)
		},
	}
	src.add(cmd, true)
	cmd.Flags().StringVar(&formats, "format", "table", "comma list of formats: "+formatNames())
	cmd.Flags().StringVar(&out, "out", "", "directory for report files and "+SnapshotFile)
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when an unwaived finding is at or above this severity")
	cmd.Flags().BoolVar(&failOnError, "fail-on-error", false, "exit 1 when a check could not evaluate every resource (status error, or fail with resources not evaluated)")
	cmd.Flags().StringVar(&waivers, "waivers", "", "waiver file (YAML); overrides the config's waivers")
	cmd.Flags().StringArrayVar(&policyDirs, "policy-dir", nil, "extra directory of Rego checks (repeatable)")
	cmd.Flags().StringVar(&history, "history", "", "append this run's summary to DIR/history.jsonl")
	cmd.Flags().StringVar(&advisories, "advisories", "", "advisory data file replacing the embedded one (advisories.tsv format; overrides the config's advisories:)")
	return cmd
}

func (a *app) loadWaivers(cfg *collectors.Config, flag string) ([]report.Waiver, error) {
	path := flag
	if path == "" {
		path = resolve(cfg, cfg.Waivers)
	}
	if path == "" {
		return nil, nil
	}
	ws, err := report.LoadWaivers(path)
	if err != nil {
		return nil, fatal(readableYAML(err))
	}
	return ws, nil
}

// evaluate runs the checks over the snapshot and assembles the report.
func (a *app) evaluate(ctx context.Context, eng *policies.Engine, snap *collectors.Snapshot, raw []byte, ws []report.Waiver) (*report.Report, error) {
	in, err := policies.ParseInput(raw)
	if err != nil {
		return nil, fatal(err)
	}
	checks, findings, err := eng.Evaluate(ctx, in)
	if err != nil {
		return nil, fatal(fmt.Errorf("evaluate: %w", err))
	}
	now := a.now().UTC()
	r := &report.Report{
		Schema:      report.SchemaVersion,
		Tool:        report.Tool{Name: "csaudit", Version: a.version},
		GeneratedAt: now,
		Snapshot: report.SnapshotRef{
			SHA256:      collectors.SHA256(raw),
			CollectedAt: snap.Meta.CollectedAt,
			DBNow:       snap.Meta.DBNow,
		},
		Target:       target(snap),
		Checks:       checks,
		Findings:     findings,
		Lab:          snap.Meta.Lab,
		PolicyParams: eng.Params(),
		AdvisoryData: eng.Advisories().Summary(),
	}
	for _, e := range snap.CollectorErrors {
		r.CollectorErrors = append(r.CollectorErrors, report.CollectorError(e))
	}
	r.ApplyWaivers(ws, now)
	r.Finalize()
	return r, nil
}

// target summarises the audited cloud from the snapshot's tables.
func target(s *collectors.Snapshot) report.Target {
	live := func(table string, keep func(collectors.Row) bool) int {
		n := 0
		for _, row := range s.DB[table] {
			if row.Get("removed") == nil && (keep == nil || keep(row)) {
				n++
			}
		}
		return n
	}
	user := func(r collectors.Row) bool { return r.Get("type") == "User" }
	t := report.Target{
		Zones:     live("data_center", nil),
		Clusters:  live("cluster", nil),
		Hosts:     live("host", func(r collectors.Row) bool { return r.Get("type") == "Routing" }),
		VMs:       live("vm_instance", user),
		SystemVMs: live("vm_instance", func(r collectors.Row) bool { return !user(r) }),
	}
	if d := s.Meta.Database; d != nil {
		t.CloudStackVersion = d.CSVersion
		t.Database = fmt.Sprintf("%s:%d/%s", d.Hostname, d.Port, d.Schema)
	}
	t.Name = s.Meta.Name
	if t.Name == "" {
		// Operators know a cloud by its zones; the database address is the
		// last resort (an inventory-only run has neither).
		var zones []string
		for _, row := range s.DB["data_center"] {
			if n, ok := row.Get("name").(string); ok && n != "" && row.Get("removed") == nil {
				zones = append(zones, n)
			}
		}
		sort.Strings(zones)
		t.Name = strings.Join(zones, ", ")
	}
	if t.Name == "" {
		t.Name = t.Database
	}
	if t.CloudStackVersion == "" {
		var vs []string
		for _, row := range s.DB["version"] {
			if row.Get("step") == "Complete" {
				if v, ok := row.Get("version").(string); ok {
					vs = append(vs, v)
				}
			}
		}
		sort.Slice(vs, func(i, j int) bool { return versionLess(vs[i], vs[j]) })
		if len(vs) > 0 {
			t.CloudStackVersion = vs[len(vs)-1]
		}
	}
	return t
}

// versionLess compares dotted numeric versions such as 4.9.3.0 < 4.22.0.0.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			fmt.Sscan(pa[i], &x)
		}
		if i < len(pb) {
			fmt.Sscan(pb[i], &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}

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
			s, err := a.collect(cmd.Context(), src, cfg)
			if err != nil {
				return err
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

func (a *app) reportCmd() *cobra.Command {
	var (
		formats string
		out     string
	)
	cmd := &cobra.Command{
		Use:   "report REPORT.json",
		Short: "Re-render a saved JSON report in other formats",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := parseFormats(formats)
			if err != nil {
				return err
			}
			r, err := report.LoadJSON(args[0])
			if err != nil {
				return fatal(err)
			}
			return a.writeOutputs(r, fs, out, nil)
		},
	}
	cmd.Flags().StringVar(&formats, "format", "table", "comma list of formats: "+formatNames())
	cmd.Flags().StringVar(&out, "out", "", "directory for report files")
	return cmd
}

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
		return a.engine(ctx, cfg, policyDirs)
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
					if _, err := fmt.Fprintf(a.stdout, "%-16s %-9s %-18s %s\n", c.ID, c.Severity, c.Category, c.Title); err != nil {
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
					if err := a.showCheck(c); err != nil {
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

func (a *app) showCheck(c *policies.Check) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n", c.ID, c.Title)
	fmt.Fprintf(&b, "severity: %s   category: %s\n\n%s\n\n", c.Severity, c.Category, c.Description)
	fmt.Fprintf(&b, "requires: %s\n", strings.Join(c.Requires, ", "))
	if len(c.Controls) > 0 {
		fmt.Fprintf(&b, "controls: %s\n", strings.Join(c.Controls, ", "))
	}
	fmt.Fprintf(&b, "references:\n")
	for _, r := range c.References {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
	fmt.Fprintf(&b, "\nremediation: %s\n", c.Remediation.Summary)
	for _, s := range c.Remediation.Steps {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	for _, cmd := range c.Remediation.Commands {
		fmt.Fprintf(&b, "  [%s] %s\n", cmd.Kind, cmd.Text)
	}
	fmt.Fprintf(&b, "\nsource: %s (package %s)\n", c.File, c.Package)
	_, err := fmt.Fprint(a.stdout, b.String())
	return err
}

// labCmd is the hidden home of the lab generator.
func (a *app) labCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "lab", Short: "Lab cloud tools", Hidden: true}
	var (
		o   labgen.Options
		out string
	)
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write a synthetic CloudStack 4.22 cloud as SQL (DIR/lab.sql) for the real schema",
		Long: `Writes DIR/lab.sql: deterministic INSERTs for a schema loaded from CloudStack's own
create scripts (fixtures/cloudstack/schema.sql), with realistic proportions and a small rate of
each fault the checks look for. Load it with: mariadb cloud < DIR/lab.sql`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr("--out DIR is required")
			}
			if o.Hosts < 0 || o.VMs < 0 {
				return usageErr("--hosts and --vms must not be negative")
			}
			var buf bytes.Buffer
			if err := labgen.Write(&buf, o); err != nil {
				return fatal(err)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fatal(err)
			}
			path := filepath.Join(out, "lab.sql")
			if err := collectors.WriteFileAtomic(path, buf.Bytes(), 0o644); err != nil {
				return fatal(err)
			}
			a.log.Info("lab written", "file", path, "bytes", buf.Len())
			return nil
		},
	}
	gen.Flags().Uint64Var(&o.Seed, "seed", 1, "random seed (the same seed gives the same SQL)")
	gen.Flags().IntVar(&o.Hosts, "hosts", 12, "hypervisor hosts")
	gen.Flags().IntVar(&o.VMs, "vms", 60, "user VMs")
	gen.Flags().StringVar(&out, "out", "", "directory for lab.sql")
	cmd.AddCommand(gen)
	return cmd
}
