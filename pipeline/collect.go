package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/database"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/collectors/ipmi"
	"github.com/csaudit/csaudit/collectors/libvirt"
	"github.com/csaudit/csaudit/collectors/local"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures"
)

// Build tunes how Collectors builds the collectors.
type Build struct {
	// Progress, when not nil, is told after each host.
	Progress func(done, total, failed int)
	// DatabaseAt pins the database session's clock (the lab); zero: the
	// server's own clock.
	DatabaseAt time.Time
}

// Collectors builds every collector this build has from the config; the
// runner runs only the selected ones. hosts and libvirt share one verified SSH
// connection per host: the returned close function releases them and must be
// called on every path.
func Collectors(cfg *collectors.Config, b Build) ([]collectors.Collector, func()) {
	cfg.ApplyDefaults() // a config built in code gets the loaded one's defaults
	pool, poolErr := sshpool.New(cfg)
	h := hosts.NewWithPool(pool, poolErr)
	h.Progress = b.Progress
	closer := func() {}
	if pool != nil {
		closer = pool.Close
	}
	db := database.New(cfg)
	if !b.DatabaseAt.IsZero() {
		db = database.NewAt(cfg, b.DatabaseAt)
	}
	return []collectors.Collector{
		db,
		local.New(cfg),
		h,
		libvirt.NewWithPool(cfg, pool, poolErr),
		ipmi.New(cfg),
	}, closer
}

// Collect runs the selected collectors (see collectors.Config.Select) and
// returns the snapshot. Collector failures are inside the snapshot; an error
// means nothing could be collected.
func Collect(ctx context.Context, env Env, cfg *collectors.Config, sel map[string]bool) (*collectors.Snapshot, error) {
	return collectWith(ctx, env, cfg, sel, nil)
}

func collectWith(ctx context.Context, env Env, cfg *collectors.Config, sel map[string]bool, inventoried func(map[string]collectors.Table)) (*collectors.Snapshot, error) {
	cs, closeAll := Collectors(cfg, Build{Progress: env.Progress})
	defer closeAll()
	return run(ctx, env, cfg, cs, sel, inventoried)
}

// Run runs already built collectors; Collect builds and closes them itself.
func Run(ctx context.Context, env Env, cfg *collectors.Config, cs []collectors.Collector, sel map[string]bool) (*collectors.Snapshot, error) {
	return run(ctx, env, cfg, cs, sel, nil)
}

func run(ctx context.Context, env Env, cfg *collectors.Config, cs []collectors.Collector, sel map[string]bool, inventoried func(map[string]collectors.Table)) (*collectors.Snapshot, error) {
	r := &collectors.Runner{
		Inventoried: inventoried,
		Collectors:  cs,
		Selected:    sel,
		Timeout:     cfg.CollectorTimeouts(),
		Targets:     cfg.Inventory,
		Tool:        collectors.Tool{Name: "csaudit", Version: env.Version},
		Now:         env.Now,
		Zones:       cfg.Zones,
	}
	env.log().Info("collecting", "collectors", strings.Join(collectors.SelectedNames(sel), ","))
	s, err := r.Run(ctx)
	if err != nil {
		return nil, err
	}
	s.Meta.Name = cfg.Name
	for _, e := range s.CollectorErrors {
		env.log().Warn("collector error", "collector", e.Collector, "target", e.Target, "error", e.Error)
	}
	return s, nil
}

// Targets lists the KVM hosts to visit: from the database when the config has
// a database section, else its inventory.
func Targets(ctx context.Context, env Env, cfg *collectors.Config) ([]collectors.Target, error) {
	if cfg.Database == nil {
		if len(cfg.Inventory) == 0 {
			return nil, errors.New("no targets: the config needs a database section or an inventory list")
		}
		return cfg.Inventory, nil
	}
	s, err := Run(ctx, env, cfg, []collectors.Collector{database.New(cfg)}, map[string]bool{collectors.NameDatabase: true})
	if err != nil {
		return nil, err
	}
	if len(s.CollectorErrors) > 0 && s.DB["host"] == nil {
		return nil, fmt.Errorf("database: %s", s.CollectorErrors[0].Error)
	}
	return collectors.TargetsFromDB(s.DB), nil
}

// Source is where a snapshot comes from: the embedded lab, a saved file, or
// (neither set) a fresh collection with Collectors selected by the config.
type Source struct {
	Lab          bool
	SnapshotFile string
	// Collectors is the --collectors list for a fresh collection.
	Collectors string
	// Zones (--zone, names or uuids) restrict a fresh collection.
	Zones []string
}

// Validate rejects flag combinations before anything is loaded. A config may
// accompany the lab or a snapshot: then only its policies and waivers apply.
func (s Source) Validate() error {
	switch {
	case s.Lab && s.SnapshotFile != "":
		return errors.New("use one of --lab and --snapshot")
	case s.Lab && s.Collectors != "":
		return errors.New("--collectors does not apply to --lab")
	case s.SnapshotFile != "" && s.Collectors != "":
		return errors.New("--collectors does not apply to --snapshot")
	case (s.Lab || s.SnapshotFile != "") && len(s.Zones) > 0:
		return errors.New("--zone applies to a collection, not to --lab or --snapshot")
	}
	return nil
}

// Snapshot produces the snapshot a command works on and its exact JSON bytes
// (the evidence whose digest the report carries).
func Snapshot(ctx context.Context, env Env, src Source, cfg *collectors.Config) (*collectors.Snapshot, []byte, error) {
	if err := src.Validate(); err != nil {
		return nil, nil, err
	}
	switch {
	case src.Lab:
		b := fixtures.Lab()
		s, err := collectors.DecodeSnapshot(b)
		if err != nil {
			return nil, nil, fmt.Errorf("embedded lab: %w", err)
		}
		return s, b, nil
	case src.SnapshotFile != "":
		return collectors.LoadSnapshot(src.SnapshotFile)
	}
	s, err := collect(ctx, env, src, cfg)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.Encode()
	if err != nil {
		return nil, nil, err
	}
	return s, b, nil
}

// collect runs a fresh collection with the collectors src selects.
func collect(ctx context.Context, env Env, src Source, cfg *collectors.Config) (*collectors.Snapshot, error) {
	snap, _, err := collectTables(ctx, env, src, cfg)
	return snap, err
}

// collectTables is collect that also starts turning the database's tables
// into the evaluation's input while the hosts are still being visited.
func collectTables(ctx context.Context, env Env, src Source, cfg *collectors.Config) (*collectors.Snapshot, *tablesInput, error) {
	sel, err := cfg.Select(src.Collectors)
	if err != nil {
		return nil, nil, err
	}
	cfg.Zones = append(cfg.Zones, src.Zones...)
	var ti *tablesInput
	snap, err := collectWith(ctx, env, cfg, sel, func(db map[string]collectors.Table) { ti = startTables(db) })
	if err != nil {
		if ti != nil {
			<-ti.done
		}
		return nil, nil, err
	}
	return snap, ti, nil
}
