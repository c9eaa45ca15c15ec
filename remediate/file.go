package remediate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// maxPlanBytes caps a plan file.
const maxPlanBytes = 16 << 20

// Encode is the plan's JSON, indented.
func (p *Plan) Encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// LoadPlan reads a plan file; errors name the file and never quote it.
func LoadPlan(path string) (*Plan, error) {
	b, err := collectors.ReadFileCapped(path, maxPlanBytes)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", path, err)
	}
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("plan %s: not a fix plan (%s)", path, jsonWhere(err))
	}
	if p.Schema != PlanSchema {
		return nil, fmt.Errorf("plan %s: schema is not %s", path, PlanSchema)
	}
	return &p, nil
}

// jsonWhere describes a decode error by position and field, not by content.
func jsonWhere(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %s has the wrong type", e.Field)
	}
	return "unexpected content"
}

// Summary lists the plan's fixes and advice, one line each, for a terminal.
func (p *Plan) Summary(file string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "%d fixes, %d findings with advice only; plan written to %s\n", len(p.Fixes), len(p.Advice), file)
	for _, f := range p.Fixes {
		fmt.Fprintf(&s, "  %s  %-24s %s (%s)\n", f.ID, f.Type, f.Resource.Name, f.Resource.UUID)
	}
	for _, ad := range p.Advice {
		fmt.Fprintf(&s, "  no fix   %-24s %s: %s\n", ad.CheckID, ad.Resource.Name, ad.Why)
	}
	return s.String()
}
