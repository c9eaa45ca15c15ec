package policies

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/csaudit/csaudit/fixtures"
)

// regoValue evaluates a lib expression WITHOUT data.csaudit.index, so lib
// computes it in Rego.
func regoValue(t *testing.T, e *Engine, in *Input, expr string) ast.Value {
	t.Helper()
	rs, err := rego.New(rego.Query("x := "+expr), rego.Compiler(e.compiler), rego.Store(e.store),
		rego.StrictBuiltinErrors(true), rego.ParsedInput(in.Value)).Eval(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if len(rs) != 1 {
		t.Fatalf("%s: undefined", expr)
	}
	v, err := ast.InterfaceToValue(rs[0].Bindings["x"])
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestIndexMatchesRego: the Go index and lib's Rego definitions agree on the
// lab and on a generated cloud (faults, routers, system VMs, domains).
func TestIndexMatchesRego(t *testing.T) {
	e := defaultEngine(t)
	// A snapshot with the corner cases the generated clouds lack: removed
	// rows, nulls, a composite key or value with a null part, a table without
	// a removed column, booleans and numbers as group keys, domains in and
	// out of a migration, without reason or uuid, with an upper-case uuid.
	corner := []byte(`{"schema":"csaudit.snapshot/v1","meta":{"db_now":"2026-11-22T10:00:00Z"},
	 "db":{"vm_instance":{
	   "1":{"id":1,"uuid":"u1","state":"Running","type":"User","host_id":3,"instance_name":"i-2-1-VM","ha_enabled":true,"power_state":"PowerOn","power_host":3,"service_offering_id":2,"removed":null},
	   "2":{"id":2,"uuid":null,"state":"Running","type":"User","host_id":3,"instance_name":"i-2-2-VM","ha_enabled":false,"power_state":"PowerOn","power_host":4,"service_offering_id":null,"removed":null},
	   "3":{"id":3,"uuid":"u3","state":"Expunging","type":"User","host_id":null,"instance_name":"i-2-3-VM","ha_enabled":1,"removed":"2026-11-22T09:00:00Z"},
	   "4":{"id":4,"uuid":"u4","state":"Stopped","type":"DomainRouter","host_id":null,"instance_name":"r-4-VM","ha_enabled":1}},
	  "volumes":{"9":{"id":9,"state":"Ready","pool_id":5,"instance_id":1},"10":{"id":10,"state":"Migrating","pool_id":5,"instance_id":null}},
	  "async_job":{"7":{"id":7,"job_status":0,"removed":null}},
	  "host":{"3":{"id":3,"uuid":"h3","type":"Routing","removed":null},"4":{"id":4,"uuid":"h4","type":"Routing","removed":"2026-01-01T00:00:00Z"},
	          "5":{"id":5,"uuid":"h5","type":"SecondaryStorageVM","removed":null},"6":{"id":6,"uuid":"h6","type":"Routing","removed":null}}},
	 "hosts":{"h3":{"domains":{"domains":[{"name":"i-2-1-VM","uuid":"U1","state":"running","reason":"booted"},{"name":"i-2-9-VM","uuid":"u9","state":"shutoff"},
	                                      {"name":"x","state":"paused"},{"name":"i-2-2-VM","uuid":"u2","state":"paused","reason":"migration"},{"uuid":"u8","state":"running"}]}},
	          "h4":{"domains":{"domains":[{"name":"i-2-2-VM","uuid":"u2","state":"running"}]}},
	          "h5":{"domains":{"domains":[{"name":"s-1-VM","uuid":"u5","state":"running"}]}},
	          "h6":{"domains":{"domains":[{"name":"i-2-4-VM","uuid":"u4","state":"running","reason":"postcopy"},{"name":"i-2-7-VM","uuid":"u7","state":"paused","reason":"user"}]}}},
	 "coverage":{}}`)
	inputs := map[string][]byte{"lab": fixtures.Lab(), "generated": scaleSnapshot(e, 400), "corner cases": corner}
	for name, raw := range inputs {
		t.Run(name, func(t *testing.T) {
			in, err := ParseInput(raw)
			if err != nil {
				t.Fatal(err)
			}
			idx := in.Index.(ast.Object)
			for _, g := range groupings {
				want := regoValue(t, e, in, fmt.Sprintf("data.csaudit.lib.rego_group(%q, %q, %q)", g.table, g.by, g.val))
				got := idx.Get(ast.StringTerm("group")).Value.(ast.Object).Get(ast.StringTerm(g.table)).Value.(ast.Object).
					Get(ast.StringTerm(g.by)).Value.(ast.Object).Get(ast.StringTerm(g.val)).Value
				if got.Compare(want) != 0 {
					t.Errorf("group(%s, %s, %s):\nGo   %v\nRego %v", g.table, g.by, g.val, trim(got), trim(want))
				}
			}
			for _, k := range []string{"running_domains_by_host", "migrating_domains_by_host"} {
				want := regoValue(t, e, in, "data.csaudit.lib."+k)
				if got := idx.Get(ast.StringTerm(k)).Value; got.Compare(want) != 0 {
					t.Errorf("%s:\nGo   %v\nRego %v", k, trim(got), trim(want))
				}
			}
		})
	}
	// The corner cases really are corner cases: a removed VM and a removed
	// host are left out, and so are non-active domains and domains without a
	// name; a VM without uuid has no "uuid|instance_name" member.
	in, _ := ParseInput(corner)
	idx := in.Index.(ast.Object)
	for k, want := range map[string]string{
		"running_domains_by_host":   `{"3": {"u1|i-2-1-VM": true, "|x": true}, "6": {"u7|i-2-7-VM": true}}`,
		"migrating_domains_by_host": `{"3": {"u2|i-2-2-VM": true}, "6": {"u4|i-2-4-VM": true}}`,
	} {
		if got := idx.Get(ast.StringTerm(k)).Value.String(); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	names := idx.Get(ast.StringTerm("group")).Value.(ast.Object).Get(ast.StringTerm("vm_instance")).Value.(ast.Object).
		Get(ast.StringTerm("host_id")).Value.(ast.Object).Get(ast.StringTerm("uuid|instance_name")).Value.String()
	if names != `{"3": {"u1|i-2-1-VM": true}}` {
		t.Errorf("group(vm_instance, host_id, uuid|instance_name) = %s", names)
	}
}

func trim(v ast.Value) string {
	s := v.String()
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// TestGroupingsCoverPolicies: every lib.group / lib.ids_where call with
// literal arguments in the policies has its grouping built in Go; another
// would still be right (lib computes it in Rego) but walk the whole table.
func TestGroupingsCoverPolicies(t *testing.T) {
	mods, err := EmbeddedModules()
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\b(group|ids_where)\("([^"]+)", "([^"]+)"(?:, "([^"]+)")?`)
	seen := 0
	for _, m := range mods {
		if m.Test {
			continue
		}
		for _, c := range call.FindAllStringSubmatch(m.Source, -1) {
			g := grouping{c[2], c[3], "id"}
			if c[1] == "group" {
				g.val = c[4]
			}
			seen++
			if !slices.Contains(groupings, g) {
				t.Errorf("%s: %s(%q, %q, %q) is not in policies/index.go groupings", m.File, c[1], g.table, g.by, g.val)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found only %d grouping calls: the pattern no longer matches the policies", seen)
	}
}
