package report

// Readiness verdicts.
const (
	Go   = "go"
	NoGo = "no-go"
	// NotSimulated marks the hosts of a cluster drain after the one it stops at.
	NotSimulated = "not simulated"
	// InMaintenance marks the hosts of a cluster drain already in Maintenance.
	InMaintenance = "in maintenance"
)

// Readiness is the go/no-go for putting a host (or, one after another, every
// host of a cluster) into maintenance, with the placement plan that was found.
// The reasons are the report's findings.
type Readiness struct {
	Verdict string `json:"verdict"`
	// Mode is host or cluster.
	Mode    string   `json:"mode"`
	Strict  bool     `json:"strict"`
	Cluster Resource `json:"cluster"`
	// Hosts are the hosts drained, in order; a host drain has one.
	Hosts []ReadinessHost `json:"hosts"`
	// StoppedAt is the host a cluster drain would stop at.
	StoppedAt *Resource `json:"stopped_at,omitempty"`
	// NotChecked names the rules whose facts were not collected, with why.
	NotChecked []NotChecked `json:"not_checked"`
}

// ReadinessHost is one host's drain: where each of its VMs would go.
type ReadinessHost struct {
	Host    Resource `json:"host"`
	Verdict string   `json:"verdict"`
	Moves   []Move   `json:"moves"`
	// Stopped are VMs on local storage that host.maintenance.local.storage.strategy
	// ForceStop would stop instead of migrating.
	Stopped []Resource `json:"stopped,omitempty"`
}

// Move is one VM's planned destination.
type Move struct {
	VM       Resource `json:"vm"`
	From     Resource `json:"from"`
	To       Resource `json:"to"`
	CPUMHz   int64    `json:"cpu_mhz"`
	RAMBytes int64    `json:"ram_bytes"`
	// LocalStorageBytes is the size of the VM's volumes on local storage that
	// move with it (strategy Migration).
	LocalStorageBytes int64 `json:"local_storage_bytes,omitempty"`
}

// NotChecked is a rule that could not be evaluated and why.
type NotChecked struct {
	CheckID string `json:"check_id"`
	Reason  string `json:"reason"`
}
