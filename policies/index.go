package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
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
// true. A composite by or val ("a|b") joins the columns' texts with "|" and
// skips rows with a null in any of them; a by "a/b" nests: groups by a, each
// holding groups by b.
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
	{"vm_instance", "uuid", "id"},
	{"vm_instance", "host_id", "uuid|instance_name"},
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
	{"domain_router", "redundant_state|vpc_id", "id"},
	{"router_network_ref", "network_id", "router_id"},
	{"router_network_ref", "router_id", "network_id"},
	{"user_vm", "iso_id", "id"},
	{"volumes", "data_center_id/disk_offering_id", "id"},
	{"vm_instance_details", "vm_id", "id"},
}

// activeDomainStates are libvirt states in which a domain has a running QEMU
// process (virDomainIsActive): running, paused, blocked, being shut down,
// suspended to memory. lib.rego's active_domain_states is the same set.
var activeDomainStates = map[string]bool{"running": true, "paused": true, "blocked": true, "shutdown": true, "pmsuspended": true}

// migrationReasons mark a paused or running domain as one side of a migration
// in flight (lib.rego's domain_migration_reasons).
var migrationReasons = map[string]bool{"migration": true, "postcopy": true, "postcopy_failed": true}

var trueTerm = ast.BooleanTerm(true)

// buildIndex derives data.csaudit.index from the decoded snapshot (the Go
// values ast.InterfaceToValue converts next): native map lookups make it a
// small fraction of the conversion, where reading the ast.Value cost seconds.
func buildIndex(doc any) (ast.Value, error) {
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("snapshot is not an object")
	}
	db, _ := root["db"].(map[string]any)
	// One pass per table applies all its groupings: walking 100,000 rows
	// once per grouping cost more in cache misses than the grouping itself.
	byTable := map[string][]grouping{}
	for _, g := range groupings {
		byTable[g.table] = append(byTable[g.table], g)
	}
	group := map[string]map[string]map[string]ast.Object{}
	for table, gs := range byTable {
		outs := make([]tree, len(gs))
		for i := range outs {
			outs[i] = tree{}
		}
		if rows, ok := db[table].(map[string]any); ok {
			groupTable(rows, gs, outs)
		}
		group[table] = map[string]map[string]ast.Object{}
		for i, g := range gs {
			if group[table][g.by] == nil {
				group[table][g.by] = map[string]ast.Object{}
			}
			group[table][g.by][g.val] = outs[i].object()
		}
	}
	running, migrating := activeDomains(root, db)
	return ast.NewObject(
		[2]*ast.Term{ast.StringTerm("group"), ast.NewTerm(nest3(group))},
		[2]*ast.Term{ast.StringTerm("running_domains_by_host"), ast.NewTerm(nest2(running))},
		[2]*ast.Term{ast.StringTerm("migrating_domains_by_host"), ast.NewTerm(nest2(migrating))},
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

func groupTable(rows map[string]any, gs []grouping, outs []tree) {
	// levels[i][l] are the columns of level l of grouping i ("a|b/c" is two
	// levels).
	levels := make([][][]string, len(gs))
	vals := make([][]string, len(gs))
	for i, g := range gs {
		for _, lv := range strings.Split(g.by, "/") {
			levels[i] = append(levels[i], strings.Split(lv, "|"))
		}
		if g.val != "id" {
			vals[i] = strings.Split(g.val, "|")
		}
	}
	parts := make([]string, 0, 4)
	for id, v := range rows {
		row, ok := v.(map[string]any)
		if !ok || row["removed"] != nil {
			continue
		}
	next:
		for i := range gs {
			node := outs[i]
			for l, cols := range levels[i] {
				parts = parts[:0]
				for _, c := range cols {
					t, ok := text(row[c])
					if !ok {
						continue next
					}
					parts = append(parts, t)
				}
				key := strings.Join(parts, "|")
				if l < len(levels[i])-1 {
					child, _ := node[key].(tree)
					if child == nil {
						child = tree{}
						node[key] = child
					}
					node = child
					continue
				}
				member := id
				if vals[i] != nil {
					parts = parts[:0]
					for _, c := range vals[i] {
						t, ok := text(row[c])
						if !ok {
							continue next
						}
						parts = append(parts, t)
					}
					member = strings.Join(parts, "|")
				}
				set, _ := node[key].(map[string]struct{})
				if set == nil {
					set = map[string]struct{}{}
					node[key] = set
				}
				set[member] = struct{}{}
			}
		}
	}
}

// activeDomains groups the libvirt domains in an active state reported for
// each live hypervisor host (lib.routing_hosts) by host id, as "uuid|name"
// keys (lib.domain_key): those running, and those in a migration.
func activeDomains(root, db map[string]any) (running, migrating map[string]map[string]struct{}) {
	running, migrating = map[string]map[string]struct{}{}, map[string]map[string]struct{}{}
	facts, _ := root["hosts"].(map[string]any)
	hosts, _ := db["host"].(map[string]any)
	for hid, v := range hosts {
		h, ok := v.(map[string]any)
		if !ok || h["removed"] != nil || h["type"] != "Routing" {
			continue
		}
		uuid, _ := h["uuid"].(string)
		hf, _ := facts[uuid].(map[string]any)
		doms, _ := hf["domains"].(map[string]any)
		list, _ := doms["domains"].([]any)
		for _, d := range list {
			dom, _ := d.(map[string]any)
			state, _ := dom["state"].(string)
			name, ok := dom["name"].(string)
			if !ok || !activeDomainStates[state] {
				continue
			}
			uuid, _ := dom["uuid"].(string)
			reason, _ := dom["reason"].(string)
			k := strings.ToLower(uuid) + "|" + name
			if (state == "paused" || state == "running") && migrationReasons[reason] {
				add(migrating, hid, k)
			} else {
				add(running, hid, k)
			}
		}
	}
	return
}

func add(m map[string]map[string]struct{}, k, member string) {
	if m[k] == nil {
		m[k] = map[string]struct{}{}
	}
	m[k][member] = struct{}{}
}

// text is lib.key: the sprintf("%v") text of a string, number or boolean;
// false for null, absent and composite values.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		if plainInt(string(v)) {
			return string(v), true // already what sprintf("%v") prints
		}
		if i, err := v.Int64(); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		if f, err := v.Float64(); err == nil {
			return fmt.Sprint(f), true
		}
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
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

// plainInt reports a JSON integer literal ("-12", "0"), which JSON writes
// without leading zeros, so its text is its decimal form.
func plainInt(s string) bool {
	if s == "-0" {
		return false
	}
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
