package policies

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
)

// The index is a set of groupings of the snapshot's tables, built in Go once
// per evaluation and placed at data.csaudit.index, so that checks start from
// the few rows they care about instead of walking every VM in Rego: one Rego
// pass over 100,000 VMs costs about half a second, which would put the
// 100,000-VM target out of reach after a handful of checks.
//
// The index holds no judgement, only groupings. lib.rego computes the very same
// values in Rego when data.csaudit.index is absent (Rego unit tests, `opa eval`
// without it), and TestIndexMatchesRego proves the two agree.

// grouping is lib.group(table, by, val): the table's live rows (removed null
// or absent) grouped by the text of column by (null skipped), each group an
// object from row key to true (val "id") or from the text of column val to
// true. A composite by ("a|b") joins the columns' texts with "|" and skips
// rows with a null in any of them; "a/b" nests: groups by a, each holding
// groups by b.
type grouping struct{ table, by, val string }

// groupings lists every lib.group the policies use; a call with another
// triple still works (lib computes it in Rego) but walks the table.
// TestGroupingsCoverPolicies keeps this list and the policies in step.
var groupings = []grouping{
	{"vm_instance", "state", "id"},
	{"vm_instance", "type", "id"},
	{"vm_instance", "host_id", "id"},
	{"vm_instance", "ha_enabled", "id"},
	{"vm_instance", "instance_name", "id"},
	{"vm_instance", "host_id", "instance_name"},
	{"vm_instance", "state", "instance_name"},
	{"vm_instance", "power_state", "id"},
	{"vm_instance", "power_host", "id"},
	{"volumes", "state", "id"},
	{"volumes", "pool_id", "instance_id"},
	{"vm_instance", "host_id/state|service_offering_id", "id"},
	{"vm_instance", "ha_enabled|host_id", "id"},
	{"vm_instance", "ha_enabled|state|host_id", "id"},
	{"vm_instance", "state|power_state", "id"},
	{"vm_instance", "host_id|power_host", "id"},
	{"async_job", "job_status", "id"},
}

// activeDomainStates are libvirt states in which a domain has a running QEMU
// process (virDomainIsActive): running, paused, blocked, being shut down,
// suspended to memory. lib.rego's active_domain_states is the same set.
var activeDomainStates = map[string]bool{"running": true, "paused": true, "blocked": true, "shutdown": true, "pmsuspended": true}

var trueTerm = ast.BooleanTerm(true)

// buildIndex derives data.csaudit.index from a snapshot value.
func buildIndex(input ast.Value) (ast.Value, error) {
	root, ok := input.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("snapshot is not an object")
	}
	db, _ := root.Get(ast.StringTerm("db")).Value.(ast.Object)
	group := map[string]map[string]map[string]ast.Object{}
	for _, g := range groupings {
		out := tree{}
		if db != nil {
			if t := db.Get(ast.StringTerm(g.table)); t != nil {
				if rows, ok := t.Value.(ast.Object); ok {
					groupTable(rows, g, out)
				}
			}
		}
		if group[g.table] == nil {
			group[g.table] = map[string]map[string]ast.Object{}
		}
		if group[g.table][g.by] == nil {
			group[g.table][g.by] = map[string]ast.Object{}
		}
		group[g.table][g.by][g.val] = out.object()
	}
	byHost, hostsByName := activeDomains(root, db)
	return ast.NewObject(
		[2]*ast.Term{ast.StringTerm("group"), ast.NewTerm(nest3(group))},
		[2]*ast.Term{ast.StringTerm("active_domains_by_host"), ast.NewTerm(nest2(byHost))},
		[2]*ast.Term{ast.StringTerm("active_domain_hosts"), ast.NewTerm(nest2(hostsByName))},
	), nil
}

// tree is a grouping being built: a level's key maps to the next level, the
// last level to a set of members.
type tree map[string]any

func (t tree) object() ast.Object {
	terms := make([][2]*ast.Term, 0, len(t))
	for k, v := range t {
		var o ast.Object
		switch v := v.(type) {
		case tree:
			o = v.object()
		case map[string]struct{}:
			o = set(v)
		}
		terms = append(terms, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(o)})
	}
	return ast.NewObject(terms...)
}

func groupTable(rows ast.Object, g grouping, out tree) {
	// levels[i] holds the columns of level i ("a|b/c" is two levels).
	var levels [][]*ast.Term
	for _, lv := range strings.Split(g.by, "/") {
		var cols []*ast.Term
		for _, c := range strings.Split(lv, "|") {
			cols = append(cols, ast.StringTerm(c))
		}
		levels = append(levels, cols)
	}
	val, removed := ast.StringTerm(g.val), ast.StringTerm("removed")
	keys := make([]string, len(levels))
	rows.Foreach(func(k, v *ast.Term) {
		row, ok := v.Value.(ast.Object)
		if !ok {
			return
		}
		if r := row.Get(removed); r != nil && !ast.NullTerm().Equal(r) {
			return
		}
		for i, cols := range levels {
			parts := make([]string, len(cols))
			for j, c := range cols {
				t, ok := text(row.Get(c))
				if !ok {
					return
				}
				parts[j] = t
			}
			keys[i] = strings.Join(parts, "|")
		}
		member, _ := text(k)
		if g.val != "id" {
			if member, ok = text(row.Get(val)); !ok {
				return
			}
		}
		node := out
		for _, key := range keys[:len(keys)-1] {
			next, _ := node[key].(tree)
			if next == nil {
				next = tree{}
				node[key] = next
			}
			node = next
		}
		last := keys[len(keys)-1]
		set, _ := node[last].(map[string]struct{})
		if set == nil {
			set = map[string]struct{}{}
			node[last] = set
		}
		set[member] = struct{}{}
	})
}

// activeDomains groups the libvirt domains in an active state reported for
// each live hypervisor host (lib.routing_hosts): host id → names, and name →
// host ids.
func activeDomains(root, db ast.Object) (byHost, hostsByName map[string]map[string]struct{}) {
	byHost, hostsByName = map[string]map[string]struct{}{}, map[string]map[string]struct{}{}
	facts, _ := root.Get(ast.StringTerm("hosts")).Value.(ast.Object)
	if facts == nil || db == nil {
		return
	}
	ht := db.Get(ast.StringTerm("host"))
	if ht == nil {
		return
	}
	hosts, _ := ht.Value.(ast.Object)
	if hosts == nil {
		return
	}
	hosts.Foreach(func(k, v *ast.Term) {
		h, ok := v.Value.(ast.Object)
		if !ok {
			return
		}
		if r := h.Get(ast.StringTerm("removed")); r != nil && !ast.NullTerm().Equal(r) {
			return
		}
		if t, _ := text(h.Get(ast.StringTerm("type"))); t != "Routing" {
			return
		}
		hid, _ := text(k)
		list, ok := lookup(facts, h.Get(ast.StringTerm("uuid")), "domains", "domains").(*ast.Array)
		if !ok {
			return
		}
		list.Foreach(func(d *ast.Term) {
			dom, ok := d.Value.(ast.Object)
			if !ok {
				return
			}
			state, _ := text(dom.Get(ast.StringTerm("state")))
			name, ok := text(dom.Get(ast.StringTerm("name")))
			if !ok || !activeDomainStates[state] {
				return
			}
			add(byHost, hid, name)
			add(hostsByName, name, hid)
		})
	})
	return
}

func add(m map[string]map[string]struct{}, k, member string) {
	if m[k] == nil {
		m[k] = map[string]struct{}{}
	}
	m[k][member] = struct{}{}
}

// lookup walks obj[first][path...], returning nil when any step is missing.
func lookup(obj ast.Object, first *ast.Term, path ...string) ast.Value {
	if first == nil {
		return nil
	}
	t := obj.Get(first)
	for _, p := range path {
		if t == nil {
			return nil
		}
		o, ok := t.Value.(ast.Object)
		if !ok {
			return nil
		}
		t = o.Get(ast.StringTerm(p))
	}
	if t == nil {
		return nil
	}
	return t.Value
}

// text is lib.key: the sprintf("%v") text of a string, number or boolean;
// false for null, absent and composite values.
func text(t *ast.Term) (string, bool) {
	if t == nil {
		return "", false
	}
	switch v := t.Value.(type) {
	case ast.String:
		return string(v), true
	case ast.Number:
		if i, ok := v.Int64(); ok {
			return fmt.Sprint(i), true
		}
		if f, ok := v.Float64(); ok {
			return fmt.Sprint(f), true
		}
		return v.String(), true
	case ast.Boolean:
		return fmt.Sprint(bool(v)), true
	}
	return "", false
}

func set(members map[string]struct{}) ast.Object {
	terms := make([][2]*ast.Term, 0, len(members))
	for m := range members {
		terms = append(terms, [2]*ast.Term{ast.StringTerm(m), trueTerm})
	}
	return ast.NewObject(terms...)
}

func nest2(m map[string]map[string]struct{}) ast.Object {
	terms := make([][2]*ast.Term, 0, len(m))
	for k, v := range m {
		terms = append(terms, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(set(v))})
	}
	return ast.NewObject(terms...)
}

func nest3(m map[string]map[string]map[string]ast.Object) ast.Object {
	var tables [][2]*ast.Term
	for t, bys := range m {
		var bt [][2]*ast.Term
		for b, vals := range bys {
			var vt [][2]*ast.Term
			for v, groups := range vals {
				vt = append(vt, [2]*ast.Term{ast.StringTerm(v), ast.NewTerm(groups)})
			}
			bt = append(bt, [2]*ast.Term{ast.StringTerm(b), ast.NewTerm(ast.NewObject(vt...))})
		}
		tables = append(tables, [2]*ast.Term{ast.StringTerm(t), ast.NewTerm(ast.NewObject(bt...))})
	}
	return ast.NewObject(tables...)
}

var indexPath = storage.MustParsePath("/csaudit/index")

// withIndex runs f inside a store transaction that holds the input's index at
// data.csaudit.index; the transaction is aborted afterwards, so the store
// keeps only the params.
func (e *Engine) withIndex(ctx context.Context, in *Input, f func(storage.Transaction) error) error {
	txn, err := e.store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return err
	}
	defer e.store.Abort(ctx, txn)
	if err := e.store.Write(ctx, txn, storage.AddOp, indexPath, in.Index); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return f(txn)
}
