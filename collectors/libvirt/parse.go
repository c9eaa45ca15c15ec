package libvirt

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// DomstatsMarker separates the virsh fallback's domain list from its
// domstats output.
const DomstatsMarker = "@@csaudit-domstats"

// maxVirshOutput bounds the fallback's output (about 150 bytes per domain).
const maxVirshOutput = 8 << 20

var stateNames = []string{"nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"}

// StateName is virDomainState as a word.
func StateName(s int64) string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// reasonNames are the virDomain*Reason enums per state (libvirt-domain.h).
var reasonNames = map[string][]string{
	"running": {"unknown", "booted", "migrated", "restored", "from_snapshot", "unpaused", "migration_canceled",
		"save_canceled", "wakeup", "crashed", "postcopy", "postcopy_failed"},
	"paused": {"unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from_snapshot",
		"shutting_down", "snapshot", "crashed", "starting_up", "postcopy", "postcopy_failed", "api_error"},
	"shutoff":     {"unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from_snapshot", "daemon"},
	"shutdown":    {"unknown", "user"},
	"crashed":     {"unknown", "panicked"},
	"blocked":     {"unknown"},
	"pmsuspended": {"unknown"},
	"nostate":     {"unknown"},
}

// StateCode is the inverse of StateName: -1 for a word it does not know.
func StateCode(name string) int64 {
	return int64(slices.Index(stateNames, name))
}

// ReasonCode is the inverse of ReasonName: -1 for a word it does not know.
func ReasonCode(state, reason string) int64 {
	return int64(slices.Index(reasonNames[state], reason))
}

// ReasonName is a state's reason code as a word.
func ReasonName(state, reason int64) string {
	rs := reasonNames[StateName(state)]
	if reason >= 0 && int(reason) < len(rs) {
		return rs[reason]
	}
	return "unknown"
}

// parseVirsh reads `virsh list --all --uuid --name`, the marker, then
// `virsh domstats --state`. Domains are joined by name; errors never quote
// the input.
func parseVirsh(b []byte) ([]collectors.Domain, error) {
	list, stats, ok := bytes.Cut(b, []byte(DomstatsMarker+"\n"))
	if !ok {
		return nil, errors.New("virsh output lacks the domstats part")
	}
	var out []collectors.Domain
	idx := map[string]int{}
	for n, l := range strings.Split(string(list), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		uuid, nm, ok := strings.Cut(l, " ")
		if !ok || len(uuid) != 36 {
			return nil, fmt.Errorf("virsh list line %d: expected uuid and name", n+1)
		}
		idx[strings.TrimSpace(nm)] = len(out)
		out = append(out, collectors.Domain{Name: strings.TrimSpace(nm), UUID: uuid, State: "unknown"})
	}
	cur := -1
	var state int64 = -1
	for n, l := range strings.Split(string(stats), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case len(l) > len("Domain: '") && strings.HasPrefix(l, "Domain: '") && strings.HasSuffix(l, "'"):
			nm := l[len("Domain: '") : len(l)-1]
			i, ok := idx[nm]
			if !ok {
				i = -1 // defined after the list ran
			}
			cur, state = i, -1
		case strings.HasPrefix(l, "state.state="), strings.HasPrefix(l, "state.reason="):
			k, v, _ := strings.Cut(l, "=")
			x, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("virsh domstats line %d: not a number", n+1)
			}
			if cur < 0 {
				continue
			}
			if k == "state.state" {
				state = x
				out[cur].State = StateName(x)
			} else if state >= 0 {
				out[cur].Reason = ReasonName(state, x)
			}
		default:
			// Other stats groups are not requested; anything else is
			// ignored rather than guessed at.
		}
	}
	return out, nil
}
