package remediate

import (
	"fmt"
	"os"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/policies"
)

// NewApplier connects through database.fix_dsn and reaches hosts and BMCs as the
// config says.
func NewApplier(cfg *collectors.Config, journal, version string, now func() time.Time) (*Applier, func(), error) {
	defaults, err := policies.DefaultParams()
	if err != nil {
		return nil, nil, err
	}
	params, err := policies.MergeParams(defaults, cfg.Policies.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", cfg.Path, err)
	}
	db, _, err := OpenFixDB(cfg, os.Getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", cfg.Path, err)
	}
	tool := collectors.Tool{Name: "csaudit", Version: version}
	ap := &Applier{DB: db, Journal: &Journal{Dir: journal}, StuckMinutes: StuckMinutes(params), Version: version, Now: now}
	if cfg.SSH != nil {
		ap.Domains = Libvirt{Config: cfg, Tool: tool}
	}
	if cfg.IPMI != nil && cfg.IPMI.Sessions {
		ap.Power = IPMI{Config: cfg, Tool: tool}
	}
	return ap, func() { db.Close() }, nil
}

// StuckMinutes is CSA-STUCK-001's threshold from the effective params.
func StuckMinutes(params map[string]any) int {
	switch v := params["vm_stuck_minutes"].(type) {
	case float64:
		return int(v)
	case int:
		return v
	case int64:
		return int(v)
	}
	return DefaultStuckMinutes
}
