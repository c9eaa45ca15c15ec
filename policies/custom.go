package policies

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// CustomPrefix is the only package prefix a custom policy may define; its
// checks are csaudit.custom.<family>.<name>.
const CustomPrefix = "csaudit.custom."

// customReadable are the data paths a custom policy may read besides its own
// namespace: the shared library, the groupings and the thresholds. Reading a
// built-in check's rules (or data itself) is refused: a custom file must not
// be able to depend on, shadow or extend a built-in result.
var customReadable = []string{"csaudit.lib", "csaudit.index", "csaudit.params", "csaudit.custom"}

// checkCustom refuses a custom module that defines a package outside
// csaudit.custom. or reads data beyond customReadable.
func checkCustom(m *Module) error {
	pkg := pkgPath(m.AST.Package)
	if !strings.HasPrefix(pkg, CustomPrefix) || len(strings.Split(pkg, ".")) < 3 {
		return fmt.Errorf("policy %s: package %s: custom policies must define packages under %s (checks: %s<family>.<name>); built-in packages cannot be defined or extended", m.File, pkg, CustomPrefix, CustomPrefix)
	}
	var bad string
	check := func(r ast.Ref) {
		if bad != "" || len(r) == 0 || !r[0].Equal(ast.DefaultRootDocument) {
			return
		}
		if !readable(r) {
			bad = r.String()
		}
	}
	for _, imp := range m.AST.Imports {
		if r, ok := imp.Path.Value.(ast.Ref); ok {
			check(r)
		}
	}
	ast.WalkRefs(m.AST, func(r ast.Ref) bool {
		check(r)
		return false
	})
	if bad != "" {
		return fmt.Errorf("policy %s: package %s reads %s: custom policies may read only input and data.%s", m.File, pkg, bad, strings.Join(customReadable, ", data."))
	}
	var unbounded string
	ast.WalkRefs(m.AST, func(r ast.Ref) bool {
		if s := r.String(); s == "numbers.range" || s == "numbers.range_step" {
			unbounded = s
		}
		return false
	})
	if unbounded != "" {
		return fmt.Errorf("policy %s: package %s calls %s: custom policies may not: one call builds an array of any size, out of reach of the evaluation's deadline and memory guard", m.File, pkg, unbounded)
	}
	return nil
}

// readable reports whether a data reference stays inside customReadable. Its
// path must be spelled out (no variables) up to the allowed prefix.
func readable(r ast.Ref) bool {
	for _, allowed := range customReadable {
		parts := strings.Split(allowed, ".")
		if len(r) < len(parts)+1 {
			continue
		}
		ok := true
		for i, p := range parts {
			s, isStr := r[i+1].Value.(ast.String)
			if !isStr || string(s) != p {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
