package collectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/invopop/jsonschema"
	validator "github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// SchemaID is the snapshot schema's $id.
const SchemaID = "https://csaudit.dev/schema/" + SchemaVersion

// JSONSchema is the snapshot's JSON Schema, generated from the Go types; it is
// committed as docs/schema/snapshot.schema.json (a test keeps the two equal)
// and every snapshot csaudit reads is validated against it.
func JSONSchema() ([]byte, error) {
	r := &jsonschema.Reflector{AllowAdditionalProperties: true, Namer: schemaName}
	s := r.Reflect(&Snapshot{})
	s.ID = jsonschema.ID(SchemaID)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// schemaName names Row's JSON shape (its JSONSchemaAlias, an unexported map
// type) as the Go API names it, so the schema reads "Row".
func schemaName(t reflect.Type) string {
	if t.PkgPath() == "github.com/csaudit/csaudit/collectors" && t.Name() == "rowJSON" {
		return "Row"
	}
	return ""
}

var compiled = sync.OnceValues(func() (*validator.Schema, error) {
	b, err := JSONSchema()
	if err != nil {
		return nil, err
	}
	doc, err := validator.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := validator.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		return nil, err
	}
	return c.Compile(SchemaID)
})

// validateShape checks a snapshot's JSON against the schema. The database
// tables are checked cell by cell in Go (validateCells) instead: the schema
// says only that a row is an object, and converting a 100,000-VM cloud's
// tables for the validator would cost more than the rest of the load.
func validateShape(top map[string]json.RawMessage) error {
	inst := map[string]any{}
	for k, raw := range top {
		if k == "db" {
			var tables map[string]json.RawMessage
			if err := json.Unmarshal(raw, &tables); err != nil {
				return errors.New("db: want an object of tables")
			}
			shallow := map[string]any{}
			for name := range tables {
				shallow[name] = map[string]any{}
			}
			inst[k] = shallow
			continue
		}
		v, err := validator.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		inst[k] = v
	}
	return validateValues(inst)
}

// validateValues checks a snapshot's top level, as JSON values (numbers as
// json.Number; db shallow: table names to empty objects), against the schema.
func validateValues(inst map[string]any) error {
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("snapshot schema: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		var ve *validator.ValidationError
		if errors.As(err, &ve) {
			return errors.New(shapeMessage(ve))
		}
		return err
	}
	return nil
}

var english = message.NewPrinter(language.English)

// shapeMessage turns the validator's tree of causes into one line per leaf:
// where, and what was wanted.
func shapeMessage(ve *validator.ValidationError) string {
	var leaves []string
	var walk func(e *validator.ValidationError)
	walk = func(e *validator.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			leaves = append(leaves, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(english)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(leaves)
	if len(leaves) > 5 {
		leaves = append(leaves[:5], fmt.Sprintf("and %d more", len(leaves)-5))
	}
	return "does not match the snapshot schema: " + strings.Join(leaves, "; ")
}

// textColumn says whether checks compare a column with strings: states,
// names, uuids and every timestamp (written as text). Some names mean text in
// one table and a number in another (alert.type is a number), so those are
// listed with their table.
func textColumn(table, col string) bool {
	switch col {
	case "state", "resource_state", "power_state", "uuid", "name", "instance_name",
		"hypervisor_type", "version", "created", "removed", "lastUpdated":
		return true
	}
	switch table + "." + col {
	case "vm_instance.type", "host.type", "storage_pool.pool_type", "storage_pool.scope":
		return true
	}
	return strings.HasSuffix(col, "_state") || strings.HasSuffix(col, "_time")
}

// validateCells checks every database cell: a scalar, and a string (or null)
// where checks compare strings.
func validateCells(db map[string]Table) error {
	tables := make([]string, 0, len(db))
	for name := range db {
		tables = append(tables, name)
	}
	sort.Strings(tables)
	for _, name := range tables {
		for id, row := range db[name] {
			for col, v := range row.All() {
				switch v.(type) {
				case nil, string:
					continue
				case bool, float64, int64, json.Number:
				default:
					return fmt.Errorf("db.%s[%q].%s: want a string, number, boolean or null", name, id, col)
				}
				if textColumn(name, col) {
					return fmt.Errorf("db.%s[%q].%s: want a string or null", name, id, col)
				}
			}
		}
	}
	return nil
}
