// Package remediate is csaudit's fix engine: it turns stuck-state findings
// into a plan of guarded fixes (csaudit.fixplan/v1), applies one fix at a
// time against CloudStack's database and undoes it from a journal.
//
// A fix never runs text from the plan. Its statement comes from a
// compiled-in template chosen by the fix type; the plan contributes only the
// VM's id and the before-image the statement is guarded by, and every
// precondition is read again, live, at apply time.
package remediate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/csaudit/csaudit/report"
)

// PlanSchema identifies the plan JSON.
const PlanSchema = "csaudit.fixplan/v1"

// Fix types.
const (
	TypeStoppingToStopped = "vm-stopping-to-stopped"
	TypeStartingToStopped = "vm-starting-to-stopped"
)

// CheckStuckVM is the check whose findings can lead to a fix.
const CheckStuckVM = "CSA-STUCK-001"

// Plan is the fix plan file.
type Plan struct {
	Schema      string    `json:"schema"`
	GeneratedAt time.Time `json:"generated_at"`
	// DBIdentity is host:port/schema of the database the plan was made from;
	// apply refuses any other database.
	DBIdentity     string   `json:"db_identity"`
	SnapshotSHA256 string   `json:"snapshot_sha256,omitempty"`
	StuckMinutes   int      `json:"stuck_minutes"`
	Fixes          []Fix    `json:"fixes"`
	Advice         []Advice `json:"advice"`
}

// Fix is one guarded change to one row.
type Fix struct {
	// ID is derived from type, resource and before-image (see FixID), so a
	// plan made again from the same state has the same ids and an edited
	// fix no longer matches its id.
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	CheckID       string          `json:"check_id"`
	FindingID     string          `json:"finding_id"`
	Resource      report.Resource `json:"resource"`
	Action        Action          `json:"action"`
	Preconditions []Precondition  `json:"preconditions"`
	BeforeImage   Image           `json:"before_image"`
	Risk          string          `json:"risk"`
}

// Action shows what apply will do. Text is for display only: apply derives
// its statement from the fix type.
type Action struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Precondition is a condition apply re-checks live.
type Precondition struct {
	What   string `json:"what"`
	Expect string `json:"expect"`
}

// Advice is a stuck-state finding csaudit offers no fix for, with why and the
// safe sequence a person follows instead.
type Advice struct {
	CheckID   string          `json:"check_id"`
	FindingID string          `json:"finding_id"`
	Resource  report.Resource `json:"resource"`
	Why       string          `json:"why"`
	Steps     []string        `json:"steps"`
}

// Image is the guarded columns of a vm_instance row. Datetimes are RFC 3339
// UTC with second precision, as the snapshot has them.
type Image struct {
	State                string  `json:"state"`
	HostID               *int64  `json:"host_id"`
	LastHostID           *int64  `json:"last_host_id"`
	PowerState           *string `json:"power_state"`
	PowerHost            *int64  `json:"power_host"`
	PowerStateUpdateTime *string `json:"power_state_update_time"`
	UpdateCount          int64   `json:"update_count"`
	// UpdateTime is not part of the apply guard (update_count already moves
	// with every state change) but is part of undo's: undo restores only a
	// row the fix left exactly as it was.
	UpdateTime *string `json:"update_time"`
}

// FixID is the stable id of a fix: a digest of its type, the VM and the
// before-image.
func FixID(typ string, r report.Resource, before Image) string {
	b, _ := json.Marshal(struct {
		T string
		I string
		U string
		B Image
	}{typ, r.ID, r.UUID, before})
	sum := sha256.Sum256(b)
	return "fx-" + hex.EncodeToString(sum[:6])
}

// kind is a compiled-in fix type.
type kind struct {
	name string
	from string // the stuck state
	// set is the SET clause of the fix's UPDATE; it holds no value from
	// anywhere but this source.
	set string
	// needsHost: the VM sits on a host whose libvirt must confirm it is gone.
	needsHost bool
	risk      string
	// columns the fix writes (the column-level UPDATE grant).
	writes []string
}

var kinds = map[string]kind{
	TypeStoppingToStopped: {
		name: TypeStoppingToStopped, from: "Stopping", needsHost: true,
		set: "state = 'Stopped', power_state = 'PowerOff', power_state_update_time = UTC_TIMESTAMP(), host_id = NULL, " +
			"update_count = update_count + 1, update_time = UTC_TIMESTAMP()",
		writes: []string{"state", "power_state", "power_state_update_time", "host_id", "update_count", "update_time"},
		risk: "A row update is not CloudStack's stop: no VM.STOP usage event is recorded (usage keeps counting the VM as running " +
			"until its next state change), the host's CPU and memory are released only when the capacity checker next " +
			"recomputes them (capacity.check.period), and no StopCommand or network clean-up runs. last_host_id keeps the host, " +
			"so the next start prefers it.",
	},
	TypeStartingToStopped: {
		name: TypeStartingToStopped, from: "Starting",
		set:    "state = 'Stopped', update_count = update_count + 1, update_time = UTC_TIMESTAMP()",
		writes: []string{"state", "update_count", "update_time"},
		risk: "The allocator never placed the VM (host_id NULL), so nothing ran and no capacity was taken; a row update records " +
			"no usage event and no alert. The user's start request is not retried: start the VM again through the API.",
	},
}

// guardClause is the WHERE clause every fix UPDATE carries: the full
// before-image of the row.
const guardClause = "id = ? AND removed IS NULL AND state = ? AND host_id <=> ? AND last_host_id <=> ? AND power_state <=> ? " +
	"AND power_host <=> ? AND power_state_update_time <=> ? AND update_count = ?"

// Statement is the exact UPDATE a fix type runs, with ? for the VM id and the
// before-image.
func Statement(typ string) (string, error) {
	k, ok := kinds[typ]
	if !ok {
		return "", fmt.Errorf("unknown fix type %q", typ)
	}
	return "UPDATE vm_instance SET " + k.set + " WHERE " + guardClause, nil
}

func guardArgs(id int64, b Image) []any {
	return []any{id, b.State, nullInt(b.HostID), nullInt(b.LastHostID), nullStr(b.PowerState), nullInt(b.PowerHost),
		sqlTime(b.PowerStateUpdateTime), b.UpdateCount}
}

// undoStatement restores a fix's before-image (the columns fixes write) while
// the row is exactly as the fix left it. update_count moves on rather than
// back: a writer holding the pre-fix count must still fail its update.
const undoStatement = "UPDATE vm_instance SET state = ?, host_id = ?, power_state = ?, power_state_update_time = ?, " +
	"update_count = update_count + 1, update_time = UTC_TIMESTAMP() WHERE " + guardClause + " AND update_time <=> ?"

// Types lists the fix types in a stable order.
func Types() []string { return []string{TypeStoppingToStopped, TypeStartingToStopped} }

// TypesFor lists the fix types findings of a check can lead to.
func TypesFor(checkID string) []string {
	if checkID == CheckStuckVM {
		return Types()
	}
	return nil
}

func nullInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullStr(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// sqlTime turns an RFC 3339 time into a DATETIME literal value.
func sqlTime(p *string) any {
	if p == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339, *p)
	if err != nil {
		return *p // never matches a DATETIME: the guard fails closed
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
