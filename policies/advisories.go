package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/csaudit/csaudit/policies/advisory"
	"github.com/csaudit/csaudit/report"
)

// advisoryFamily is the package prefix of the advisory checks.
const advisoryFamily = CheckPrefix + "advisory."

// ForVersion evaluates the advisory checks for a cloud whose management
// servers run version, without a cloud: the rules an audit runs, on a snapshot
// holding one Up management server and nothing else, so no exposure condition
// can be judged and every advisory keeps its mapped severity. The data-age
// note is left out: there is no database clock.
func (e *Engine) ForVersion(ctx context.Context, version string) ([]report.Finding, error) {
	if _, err := advisory.ParseVersion(version); err != nil {
		return nil, err
	}
	snap := map[string]any{
		"schema": "csaudit.snapshot/v1",
		"meta":   map[string]any{"db_now": e.adv.Date + "T00:00:00Z"},
		"db": map[string]any{"mshost": map[string]any{"1": map[string]any{
			"id": 1, "msid": 1, "uuid": "", "name": "planned", "state": "Up", "version": version, "removed": nil,
		}}},
		"settings": map[string]any{},
		"hosts":    map[string]any{},
		"coverage": map[string]any{"db.mshost": map[string]any{"collector": "database", "selected": true, "collected": []string{"mshost"}}},
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return nil, err
	}
	in, err := ParseInput(b)
	if err != nil {
		return nil, err
	}
	raw, failed, err := e.raw(ctx, in)
	if err != nil {
		return nil, err
	}
	var out []report.Finding
	for _, ch := range e.checks {
		if !strings.HasPrefix(ch.Package, advisoryFamily) || ch.Custom || ch.Package == advisoryFamily+"data_age" {
			continue
		}
		if msg, bad := failed[ch.Package]; bad {
			return nil, fmt.Errorf("%s: %s", ch.ID, msg)
		}
		for _, v := range raw[ch.Package] {
			f, err := toFinding(ch, v)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Severity.Rank() != out[j].Severity.Rank() {
			return out[i].Severity.Rank() < out[j].Severity.Rank()
		}
		if out[i].CheckID != out[j].CheckID {
			return out[i].CheckID < out[j].CheckID
		}
		return out[i].Discriminator < out[j].Discriminator
	})
	return out, nil
}
