package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/invopop/jsonschema"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/remediate"
	"github.com/csaudit/csaudit/report"
)

// TestSchemasUpToDate generates the JSON Schemas in docs/schema from the Go
// types and fails when the committed files are stale (-update rewrites them).
// shapeName names collectors.Row's JSON shape (its JSONSchemaAlias, an
// unexported map type) as the Go API names it, so the schema reads "Row".
func shapeName(t reflect.Type) string {
	if t.PkgPath() == "github.com/csaudit/csaudit/collectors" && t.Name() == "rowJSON" {
		return "Row"
	}
	return ""
}

func TestSchemasUpToDate(t *testing.T) {
	for _, tc := range []struct {
		file string
		id   string
		v    any
	}{
		{"snapshot.schema.json", "https://csaudit.dev/schema/" + collectors.SchemaVersion, &collectors.Snapshot{}},
		{"report.schema.json", "https://csaudit.dev/schema/" + report.SchemaVersion, &report.Report{}},
		{"fixplan.schema.json", "https://csaudit.dev/schema/" + remediate.PlanSchema, &remediate.Plan{}},
	} {
		r := &jsonschema.Reflector{DoNotReference: false, AllowAdditionalProperties: true, Namer: shapeName}
		s := r.Reflect(tc.v)
		s.ID = jsonschema.ID(tc.id)
		got, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
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
