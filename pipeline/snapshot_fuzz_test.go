package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/report"
)

// labSeeds are small snapshots cut from the lab's: every table, fact and
// coverage entry kept, with at most n rows, hosts and settings each.
func labSeeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, n := range []int{1, 3} {
		s, _, err := collectors.LoadSnapshot(filepath.Join("..", "fixtures", "lab", "lab.json"))
		if err != nil {
			f.Fatal(err)
		}
		for _, t := range s.DB {
			trim(t, n)
		}
		trim(s.Hosts, n)
		trim(s.OOBM, n)
		trim(s.Settings, n*4)
		if len(s.CollectorErrors) > n {
			s.CollectorErrors = s.CollectorErrors[:n]
		}
		for _, c := range s.Coverage {
			if len(c.Collected) > n {
				c.Collected = c.Collected[:n]
			}
			trim(c.Failed, n)
		}
		b, err := s.Encode()
		if err != nil {
			f.Fatal(err)
		}
		if _, err := collectors.DecodeSnapshot(b); err != nil {
			f.Fatalf("a cut lab snapshot (%d bytes) is refused: %v", len(b), err)
		}
		out = append(out, b)
	}
	return out
}

// trim keeps the first n keys of m in sorted order.
func trim[V any](m map[string]V, n int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys[min(n, len(keys)):] {
		delete(m, k)
	}
}

var fuzzEngine = sync.OnceValues(func() (*policies.Engine, error) {
	cfg, err := LoadConfig("", nil)
	if err != nil {
		return nil, err
	}
	return Engine(context.Background(), cfg, nil)
})

// FuzzSnapshotEvaluate decodes any snapshot file and evaluates it with the
// built-in checks. Properties: no panic; a decode error is one line and
// quotes no string value of the file; an accepted snapshot evaluates, its
// report encodes and decodes as csaudit.report/v1, every check has a known
// status, only failed checks have findings, and no check passes while a
// fact it requires is missing or failed (missing data is never a pass).
func FuzzSnapshotEvaluate(f *testing.F) {
	for _, b := range labSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"schema":"csaudit.snapshot/v1","meta":{},"coverage":{}}`))
	f.Add([]byte(`{"schema":"csaudit.report/v1"}`))
	f.Add([]byte(`{"schema":"csaudit.snapshot/v1","meta":{},"coverage":{},"db":{"host":{"1":{"id":1,"ID":2}}}}`))
	eng, err := fuzzEngine()
	if err != nil {
		f.Fatal(err)
	}
	env := Env{Now: func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }, Version: "fuzz"}
	f.Fuzz(func(t *testing.T, b []byte) {
		snap, err := collectors.DecodeSnapshot(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			checkNoJSONValueEchoed(t, b, err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r, err := Evaluate(ctx, env, eng, snap, b, nil)
		if err != nil {
			t.Fatalf("an accepted snapshot does not evaluate: %v", err)
		}
		var buf bytes.Buffer
		if err := report.WriteJSON(&buf, r); err != nil {
			t.Fatalf("report JSON: %v", err)
		}
		if _, err := report.DecodeJSON(buf.Bytes()); err != nil {
			t.Fatalf("the report does not decode: %v", err)
		}
		status := map[string]report.Status{}
		for _, c := range r.Checks {
			status[c.ID] = c.Status
			switch c.Status {
			case report.Pass:
				for _, fact := range c.Requires {
					cv := snap.Coverage[fact]
					if cv == nil || len(cv.Failed) > 0 {
						t.Fatalf("%s passes while %s is missing or failed", c.ID, fact)
					}
				}
			case report.Fail, report.Error, report.Skipped:
			default:
				t.Fatalf("%s: status %q", c.ID, c.Status)
			}
		}
		for _, fd := range r.Findings {
			if status[fd.CheckID] != report.Fail {
				t.Fatalf("finding of %s, whose status is %q", fd.CheckID, status[fd.CheckID])
			}
		}
	})
}

// checkNoJSONValueEchoed fails when msg holds a string value of the JSON
// in b (8 bytes or more, not also a key). The schema field is named on
// purpose ("snapshot version … is not supported").
func checkNoJSONValueEchoed(t *testing.T, b []byte, msg string) {
	t.Helper()
	type frame struct{ obj, expectKey bool }
	values, keys := map[string]bool{}, map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(b))
	var stack []frame
	var schema, key string
	done := func() { // a value ended: its object expects a key again
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{obj: true, expectKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
			continue
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
				keys[v] = true
				key = v
				stack[n-1].expectKey = false
				continue
			}
			if len(stack) == 1 && key == "schema" {
				schema = v
			}
			values[v] = true
		}
		done()
	}
	for v := range values {
		if len(v) >= 8 && v != schema && !keys[v] && strings.Contains(msg, v) {
			t.Fatalf("the error quotes the value %q: %s", v, msg)
		}
	}
}
