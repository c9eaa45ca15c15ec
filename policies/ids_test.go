package policies

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/report"
)

// Findings of checks that need only the management server's files keep their
// ids when the database collector was not selected (the resource is named by
// the local host name either way), so a history across collector selections
// dates them right.
func TestLocalFindingIDsWithoutDatabase(t *testing.T) {
	e := defaultEngine(t)
	localOnly := map[string]bool{}
	for _, ch := range e.Checks() {
		only := len(ch.Requires) > 0
		for _, r := range ch.Requires {
			only = only && strings.HasPrefix(r, "local.")
		}
		localOnly[ch.ID] = only
	}
	ids := func(snap map[string]any) []string {
		t.Helper()
		b, err := json.Marshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		in, err := ParseInput(b)
		if err != nil {
			t.Fatal(err)
		}
		_, fs, err := e.Evaluate(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			if localOnly[f.CheckID] {
				out = append(out, f.CheckID+" "+report.FindingID(f.CheckID, f.Resource, f.Discriminator))
			}
		}
		sort.Strings(out)
		return out
	}
	with := labDoc(t)
	without := labDoc(t)
	without["db"] = map[string]any{}
	without["settings"] = map[string]any{}
	cov := without["coverage"].(map[string]any)
	for fact := range cov {
		if strings.HasPrefix(fact, "db.") || fact == "settings" {
			delete(cov, fact)
		}
	}
	without["meta"].(map[string]any)["collectors"].(map[string]any)["database"] = map[string]any{"selected": false}
	got, want := ids(without), ids(with)
	if len(want) == 0 {
		t.Fatal("the lab has no finding of a local-only check: nothing compared")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("local finding ids differ without the database (-with +without):\n%s", d)
	}
}
