package policies

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/csaudit/csaudit/report"
)

// Check is a check's definition, read from its package METADATA.
type Check struct {
	ID          string             `json:"id"`
	Title       string             `json:"title"`
	Description string             `json:"description"`
	Severity    report.Severity    `json:"severity"`
	Category    string             `json:"category"`
	Remediation report.Remediation `json:"remediation"`
	References  []string           `json:"references"`
	Controls    []string           `json:"controls"`
	Requires    []string           `json:"requires"`
	Package     string             `json:"package"`
	File        string             `json:"file"`
	Custom      bool               `json:"custom,omitempty"`
}

var checkIDPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]{3}$`)

// factPattern is a coverage key: db.<table>, settings, hosts.<fact>, …
var factPattern = regexp.MustCompile(`^(settings|(db|hosts|libvirt|oobm|local)\.[a-z0-9_]+)$`)

// checksFrom finds every package with a deny rule and reads its METADATA. A
// package that denies without complete METADATA does not load.
func checksFrom(c *ast.Compiler, modules map[string]*ast.Module) ([]*Check, error) {
	pkgFile := map[string]string{}
	for file, m := range modules {
		for _, r := range m.Rules {
			if r.Head.Name.String() == "deny" || (len(r.Head.Reference) > 0 && r.Head.Reference[0].Value.Compare(ast.Var("deny")) == 0) {
				pkgFile[pkgPath(m.Package)] = file
			}
		}
	}
	annotations := map[string]*ast.Annotations{}
	for _, e := range c.GetAnnotationSet().Flatten() {
		if e.Annotations.Scope != "package" && e.Annotations.Scope != "subpackages" {
			continue
		}
		annotations[strings.TrimPrefix(e.Path.String(), "data.")] = e.Annotations
	}
	var checks []*Check
	seen := map[string]string{}
	var errs []error
	for pkg, file := range pkgFile {
		a := annotations[pkg]
		if a == nil {
			errs = append(errs, fmt.Errorf("policy %s: package %s has a deny rule but no package-scope METADATA", file, pkg))
			continue
		}
		ch, err := checkFromAnnotations(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %s: METADATA: %w", file, err))
			continue
		}
		ch.Package, ch.File = pkg, file
		ch.Custom = !strings.HasPrefix(file, "embedded:")
		if other, dup := seen[ch.ID]; dup {
			errs = append(errs, fmt.Errorf("policy %s: check id %s is also used by %s", file, ch.ID, other))
			continue
		}
		seen[ch.ID] = file
		checks = append(checks, ch)
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	sort.Slice(checks, func(i, j int) bool { return checks[i].ID < checks[j].ID })
	return checks, nil
}

func pkgPath(p *ast.Package) string {
	return strings.TrimPrefix(p.Path.String(), "data.")
}

func checkFromAnnotations(a *ast.Annotations) (*Check, error) {
	ch := &Check{Title: strings.TrimSpace(a.Title), Description: strings.TrimSpace(a.Description)}
	cu := a.Custom
	ch.ID, _ = cu["id"].(string)
	sev, _ := cu["severity"].(string)
	ch.Category, _ = cu["category"].(string)
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"title", ch.Title}, {"description", ch.Description}, {"custom.id", ch.ID},
		{"custom.severity", sev}, {"custom.category", ch.Category},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	for _, k := range []string{"remediation", "references", "controls", "requires"} {
		if _, ok := cu[k]; !ok {
			missing = append(missing, "custom."+k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if !checkIDPattern.MatchString(ch.ID) {
		return nil, fmt.Errorf("id %q: want the form CSA-FAMILY-NNN", ch.ID)
	}
	s, err := report.ParseSeverity(sev)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ch.ID, err)
	}
	ch.Severity = s
	if ch.Remediation, err = remediationFrom(cu["remediation"]); err != nil {
		return nil, fmt.Errorf("%s: remediation: %w", ch.ID, err)
	}
	for _, l := range []struct {
		name string
		dst  *[]string
	}{{"references", &ch.References}, {"controls", &ch.Controls}, {"requires", &ch.Requires}} {
		if *l.dst, err = stringList(cu[l.name]); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", ch.ID, l.name, err)
		}
	}
	if len(ch.References) == 0 {
		return nil, fmt.Errorf("%s: references: name at least the source (a seed file or CloudStack docs/source)", ch.ID)
	}
	if len(ch.Requires) == 0 {
		return nil, fmt.Errorf("%s: requires: name the facts the check reads", ch.ID)
	}
	for _, r := range ch.Requires {
		if !factPattern.MatchString(r) {
			return nil, fmt.Errorf("%s: requires: %q is not a fact name like db.vm_instance, settings, hosts.files", ch.ID, r)
		}
	}
	return ch, nil
}

func remediationFrom(v any) (report.Remediation, error) {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return report.Remediation{}, errors.New("empty")
		}
		return report.Remediation{Summary: strings.TrimSpace(x)}, nil
	case map[string]any:
		var r report.Remediation
		r.Summary, _ = x["summary"].(string)
		if strings.TrimSpace(r.Summary) == "" {
			return r, errors.New("summary is required")
		}
		var err error
		if r.Steps, err = stringList(x["steps"]); err != nil {
			return r, fmt.Errorf("steps: %w", err)
		}
		if r.Commands, err = commandList(x["commands"]); err != nil {
			return r, fmt.Errorf("commands: %w", err)
		}
		r.FixID, _ = x["fix_id"].(string)
		return r, nil
	}
	return report.Remediation{}, errors.New("want a summary string or an object with summary, steps, commands")
}

func stringList(v any) ([]string, error) {
	if v == nil {
		return []string{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("want a list of strings")
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if _, isMap := e.(map[string]any); isMap {
			return nil, fmt.Errorf("entry %d is a map, not a string: quote it (YAML reads \"a: b\" as a map)", i+1)
		}
		if !ok {
			return nil, fmt.Errorf("entry %d (%v) is not a string", i+1, e)
		}
		out = append(out, s)
	}
	return out, nil
}

var commandKinds = map[string]bool{"cmk": true, "shell": true, "sql": true}

func commandList(v any) ([]report.Command, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("want a list of {kind, text}")
	}
	var out []report.Command
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, errors.New("want a list of {kind, text}")
		}
		kind, _ := m["kind"].(string)
		text, _ := m["text"].(string)
		if !commandKinds[kind] {
			return nil, fmt.Errorf("kind %q: want cmk, shell or sql", kind)
		}
		if strings.TrimSpace(text) == "" {
			return nil, errors.New("empty command text")
		}
		if err := bare(kind, text); err != nil {
			return nil, err
		}
		out = append(out, report.Command{Kind: kind, Text: text})
	}
	return out, nil
}
