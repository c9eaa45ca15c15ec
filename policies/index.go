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

// Indexer builds data.csaudit.index while the snapshot's rows are read: the
// decoder of a saved snapshot and the in-memory conversion of a live one each
// hand it every row as they make it, so the groupings cost no pass of their
// own over 100,000 rows.
type Indexer struct {
	tables map[string]*tableIndex
}

// tableIndex applies every grouping of one table to each row: walking the
// rows once per grouping cost more in cache misses than the grouping itself.
// Columns are read through slots: each column a grouping reads has one, and
// a row's cells are placed in them with one map lookup per cell.
type tableIndex struct {
	gs      []grouping
	slot    map[string]int
	levels  [][][]int // grouping i, level l: its columns' slots ("a|b/c" is two levels)
	vals    [][]int   // grouping i's value columns' slots; nil for the row id
	outs    []tree
	removed int
	cells   []*ast.Term
	texts   []string
	has     []bool
	parts   []string
}

// NewIndexer returns an Indexer with no rows yet.
func NewIndexer() *Indexer {
	x := &Indexer{tables: map[string]*tableIndex{}}
	for _, g := range groupings {
		ti := x.tables[g.table]
		if ti == nil {
			ti = &tableIndex{slot: map[string]int{}}
			ti.removed = ti.slotOf("removed")
			x.tables[g.table] = ti
		}
		var levels [][]int
		for _, lv := range strings.Split(g.by, "/") {
			levels = append(levels, ti.slots(lv))
		}
		var vals []int
		if g.val != "id" {
			vals = ti.slots(g.val)
		}
		ti.gs = append(ti.gs, g)
		ti.levels = append(ti.levels, levels)
		ti.vals = append(ti.vals, vals)
		ti.outs = append(ti.outs, tree{})
	}
	for _, ti := range x.tables {
		ti.cells = make([]*ast.Term, len(ti.slot))
		ti.texts = make([]string, len(ti.slot))
		ti.has = make([]bool, len(ti.slot))
	}
	return x
}

func (ti *tableIndex) slotOf(col string) int {
	i, ok := ti.slot[col]
	if !ok {
		i = len(ti.slot)
		ti.slot[col] = i
	}
	return i
}

func (ti *tableIndex) slots(cols string) []int {
	var out []int
	for _, c := range strings.Split(cols, "|") {
		out = append(out, ti.slotOf(c))
	}
	return out
}

// Columns lists the columns the groupings of table read (with "removed"),
// nil when none reads the table: a row handed to Row needs no other cells.
func (x *Indexer) Columns(table string) []string {
	ti := x.tables[table]
	if ti == nil {
		return nil
	}
	cols := make([]string, len(ti.slot))
	for c, i := range ti.slot {
		cols[i] = c
	}
	return cols
}

// Row adds one row of a table: the row's key in the snapshot and its cells
// (column name, value), as its object is made of them. Rows of tables no
// grouping reads are ignored at once.
func (x *Indexer) Row(table, id string, row [][2]*ast.Term) {
	ti := x.tables[table]
	if ti == nil {
		return
	}
	cells := ti.cells
	clear(cells)
	for _, c := range row {
		if k, ok := c[0].Value.(ast.String); ok {
			if i, ok := ti.slot[string(k)]; ok {
				cells[i] = c[1]
			}
		}
	}
	if r := cells[ti.removed]; r != nil && r.Value.Compare(ast.NullValue) != 0 {
		return
	}
	for i, c := range cells {
		ti.texts[i], ti.has[i] = text(c)
	}
	ti.add(id)
}

// RowText adds one row given, for each column Columns(table) lists, its text
// as lib.key renders it (KeyText) and whether it has one; removed says the
// row's removed column is present and not null (the row is then left out).
// texts and has are read, not kept.
func (x *Indexer) RowText(table, id string, texts []string, has []bool, removed bool) {
	ti := x.tables[table]
	if ti == nil || removed {
		return
	}
	copy(ti.texts, texts)
	copy(ti.has, has)
	ti.add(id)
}

// RemovedColumn is the position of "removed" in Columns(table).
func (x *Indexer) RemovedColumn(table string) int {
	if ti := x.tables[table]; ti != nil {
		return ti.removed
	}
	return -1
}

// add applies every grouping to the row whose column texts are in
// ti.texts/ti.has.
func (ti *tableIndex) add(id string) {
	parts := ti.parts[:0]
next:
	for i := range ti.gs {
		node := ti.outs[i]
		for l, cols := range ti.levels[i] {
			parts = parts[:0]
			for _, c := range cols {
				if !ti.has[c] {
					continue next
				}
				parts = append(parts, ti.texts[c])
			}
			key := join(parts)
			if l < len(ti.levels[i])-1 {
				child, _ := node[key].(tree)
				if child == nil {
					child = tree{}
					node[key] = child
				}
				node = child
				continue
			}
			member := id
			if ti.vals[i] != nil {
				parts = parts[:0]
				for _, c := range ti.vals[i] {
					if !ti.has[c] {
						continue next
					}
					parts = append(parts, ti.texts[c])
				}
				member = join(parts)
			}
			set, _ := node[key].(map[string]struct{})
			if set == nil {
				set = map[string]struct{}{}
				node[key] = set
			}
			set[member] = struct{}{}
		}
	}
	ti.parts = parts
}

// join is strings.Join(parts, "|") without an allocation for one part.
func join(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts, "|")
}

// Index is data.csaudit.index once every row was added; root is the whole
// snapshot, whose host facts give the domains by host. It empties the
// Indexer: call it once.
func (x *Indexer) Index(root ast.Object) ast.Value {
	group := map[string]map[string]map[string]ast.Object{}
	// A row's id is a member of most of its table's groupings: one term
	// each, shared (1.8 million members at 100,000 VMs).
	m := memo{}
	for table, ti := range x.tables {
		group[table] = map[string]map[string]ast.Object{}
		for i, g := range ti.gs {
			if group[table][g.by] == nil {
				group[table][g.by] = map[string]ast.Object{}
			}
			group[table][g.by][g.val] = ti.outs[i].object(m)
		}
	}
	running, migrating := activeDomains(root)
	return ast.NewObject(
		[2]*ast.Term{ast.StringTerm("group"), ast.NewTerm(nest3(group))},
		[2]*ast.Term{ast.StringTerm("running_domains_by_host"), ast.NewTerm(nest2(running, m))},
		[2]*ast.Term{ast.StringTerm("migrating_domains_by_host"), ast.NewTerm(nest2(migrating, m))},
	)
}

// indexValue builds the index of a whole snapshot value (tests, and inputs
// made from a document at once).
func indexValue(root ast.Object) ast.Value {
	x := NewIndexer()
	if db, ok := field(root, "db").(ast.Object); ok {
		db.Foreach(func(tk, tv *ast.Term) {
			table, _ := tk.Value.(ast.String)
			rows, ok := tv.Value.(ast.Object)
			if !ok || x.tables[string(table)] == nil {
				return
			}
			var cells [][2]*ast.Term
			rows.Foreach(func(k, v *ast.Term) {
				id, _ := k.Value.(ast.String)
				if row, ok := v.Value.(ast.Object); ok {
					cells = cells[:0]
					row.Foreach(func(c, v *ast.Term) { cells = append(cells, [2]*ast.Term{c, v}) })
					x.Row(string(table), string(id), cells)
				}
			})
		})
	}
	return x.Index(root)
}

// field is obj's value at key, nil when obj is not an object or lacks it.
func field(obj ast.Value, key string) ast.Value {
	o, ok := obj.(ast.Object)
	if !ok {
		return nil
	}
	if t := o.Get(ast.StringTerm(key)); t != nil {
		return t.Value
	}
	return nil
}

// str is v's text when v is a string.
func str(v ast.Value) (string, bool) {
	s, ok := v.(ast.String)
	return string(s), ok
}

// tree is a grouping being built: a level's key maps to the next level, the
// last level to a set of members.
type tree map[string]any

// memo shares one string term per text.
type memo map[string]*ast.Term

func (m memo) term(s string) *ast.Term {
	t, ok := m[s]
	if !ok {
		t = ast.StringTerm(s)
		m[s] = t
	}
	return t
}

// object converts the tree, emptying it as it goes: each Go set can be
// collected once its Rego object exists, so the two forms of the index are
// never both whole in memory.
func (t tree) object(m memo) ast.Object {
	terms := make([][2]*ast.Term, 0, len(t))
	for k, v := range t {
		var o ast.Object
		switch v := v.(type) {
		case tree:
			o = v.object(m)
		case map[string]struct{}:
			o = set(v, m)
		}
		delete(t, k)
		terms = append(terms, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(o)})
	}
	return ast.NewObject(terms...)
}

// activeDomains groups the libvirt domains in an active state reported for
// each live hypervisor host (lib.routing_hosts) by host id, as "uuid|name"
// keys (lib.domain_key): those running, and those in a migration.
func activeDomains(root ast.Object) (running, migrating map[string]map[string]struct{}) {
	running, migrating = map[string]map[string]struct{}{}, map[string]map[string]struct{}{}
	facts, _ := field(root, "hosts").(ast.Object)
	hosts, _ := field(field(root, "db"), "host").(ast.Object)
	if hosts == nil {
		return
	}
	hosts.Foreach(func(k, v *ast.Term) {
		hid, _ := str(k.Value)
		h := v.Value
		if r := field(h, "removed"); r != nil && r.Compare(ast.NullValue) != 0 {
			return
		}
		if t, _ := str(field(h, "type")); t != "Routing" {
			return
		}
		if _, ok := h.(ast.Object); !ok {
			return
		}
		uuid, _ := str(field(h, "uuid"))
		var hf ast.Value
		if facts != nil {
			if t := facts.Get(ast.StringTerm(uuid)); t != nil {
				hf = t.Value
			}
		}
		list, _ := field(field(hf, "domains"), "domains").(*ast.Array)
		if list == nil {
			return
		}
		list.Foreach(func(d *ast.Term) {
			state, _ := str(field(d.Value, "state"))
			name, ok := str(field(d.Value, "name"))
			if !ok || !activeDomainStates[state] {
				return
			}
			uuid, _ := str(field(d.Value, "uuid"))
			reason, _ := str(field(d.Value, "reason"))
			key := strings.ToLower(uuid) + "|" + name
			if (state == "paused" || state == "running") && migrationReasons[reason] {
				add(migrating, hid, key)
			} else {
				add(running, hid, key)
			}
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

// text is lib.key: the sprintf("%v") text of a string, number or boolean;
// false for null, absent and composite values.
func text(t *ast.Term) (string, bool) {
	if t == nil {
		return "", false
	}
	return KeyText(t.Value)
}

// KeyText is lib.key of a value: the sprintf("%v") text of a string, number
// or boolean; false for null and composite values.
func KeyText(v ast.Value) (string, bool) {
	switch v := v.(type) {
	case ast.String:
		return string(v), true
	case ast.Number:
		if plainInt(string(v)) {
			return string(v), true // already what sprintf("%v") prints
		}
		n := json.Number(v)
		if i, err := n.Int64(); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		if f, err := n.Float64(); err == nil {
			return fmt.Sprint(f), true
		}
		return n.String(), true
	case ast.Boolean:
		return strconv.FormatBool(bool(v)), true
	}
	return "", false
}

func set(members map[string]struct{}, m memo) ast.Object {
	terms := make([][2]*ast.Term, 0, len(members))
	for s := range members {
		terms = append(terms, [2]*ast.Term{m.term(s), trueTerm})
	}
	return ast.NewObject(terms...)
}

func nest2(groups map[string]map[string]struct{}, m memo) ast.Object {
	terms := make([][2]*ast.Term, 0, len(groups))
	for k, v := range groups {
		terms = append(terms, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(set(v, m))})
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
