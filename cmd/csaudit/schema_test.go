package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/invopop/jsonschema"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/remediate"
	"github.com/csaudit/csaudit/report"
)

// TestSchemasUpToDate generates the JSON Schemas in docs/schema from the Go
// types and fails when the committed files are stale (-update rewrites them).
// The snapshot's is the one csaudit validates every snapshot against.
func TestSchemasUpToDate(t *testing.T) {
	reportSchema := func() ([]byte, error) {
		r := &jsonschema.Reflector{AllowAdditionalProperties: true}
		s := r.Reflect(&report.Report{})
		s.ID = jsonschema.ID("https://csaudit.dev/schema/" + report.SchemaVersion)
		b, err := json.MarshalIndent(s, "", "  ")
		return append(b, '\n'), err
	}
	planSchema := func() ([]byte, error) {
		r := &jsonschema.Reflector{AllowAdditionalProperties: true}
		s := r.Reflect(&remediate.Plan{})
		s.ID = jsonschema.ID("https://csaudit.dev/schema/" + remediate.PlanSchema)
		b, err := json.MarshalIndent(s, "", "  ")
		return append(b, '\n'), err
	}
	for _, tc := range []struct {
		file string
		gen  func() ([]byte, error)
	}{
		{"snapshot.schema.json", collectors.JSONSchema},
		{"report.schema.json", reportSchema},
		{"fixplan.schema.json", planSchema},
	} {
		got, err := tc.gen()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "docs", "schema", tc.file)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./cmd/csaudit -update generates it)", err)
		}
		if string(want) != string(got) {
			t.Errorf("docs/schema/%s is stale: run `make generate`", tc.file)
		}
	}
}
