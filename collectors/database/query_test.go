package database

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/csaudit/csaudit/collectors"
)

// TestPutConversions: each text-protocol cell becomes the value the snapshot
// has always carried for it, whatever odd text a column holds.
func TestPutConversions(t *testing.T) {
	for _, tc := range []struct {
		kind collectors.Kind
		in   sql.RawBytes
		want any
	}{
		{collectors.KindInt, nil, nil},
		{collectors.KindInt, sql.RawBytes("0"), int64(0)},
		{collectors.KindInt, sql.RawBytes("-42"), int64(-42)},
		{collectors.KindInt, sql.RawBytes("345049296663"), int64(345049296663)},
		{collectors.KindInt, sql.RawBytes("999999999999999999"), int64(999999999999999999)},
		{collectors.KindInt, sql.RawBytes("9223372036854775807"), uint64(9223372036854775807)}, // 19 digits: parsed unsigned, as always
		{collectors.KindInt, sql.RawBytes("18446744073709551615"), uint64(18446744073709551615)},
		{collectors.KindInt, sql.RawBytes("12abc"), "12abc"},
		{collectors.KindFloat, sql.RawBytes("1.50"), 1.5},
		{collectors.KindFloat, sql.RawBytes("n/a"), "n/a"},
		{collectors.KindBool, sql.RawBytes{1}, true},
		{collectors.KindBool, sql.RawBytes{0}, false},
		{collectors.KindBool, sql.RawBytes("2"), true},
		{collectors.KindBool, sql.RawBytes("0"), false},
		{collectors.KindBool, sql.RawBytes("yes"), "yes"},
		{collectors.KindTime, sql.RawBytes("2026-11-20 12:34:56"), "2026-11-20T12:34:56Z"},
		{collectors.KindTime, sql.RawBytes("2026-11-20 12:34:56.123456"), "2026-11-20T12:34:56Z"},
		{collectors.KindTime, sql.RawBytes("2026-11-20"), "2026-11-20T00:00:00Z"},
		{collectors.KindTime, sql.RawBytes("0000-00-00 00:00:00"), nil},
		{collectors.KindTime, sql.RawBytes("0000-00-00"), nil},
		{collectors.KindTime, sql.RawBytes("2026-00-00 00:00:00"), "2026-00-00T00:00:00Z"}, // zero-in-date: kept as written
		{collectors.KindTime, sql.RawBytes("abcd-ef-gh ij:kl:mn"), "abcd-ef-ghTij:kl:mnZ"},
		{collectors.KindTime, sql.RawBytes("12:34"), "12:34"},
		{collectors.KindEnum, sql.RawBytes("Running"), "Running"},
		{collectors.KindEnum, sql.RawBytes("bad\xff\xfeenum"), "bad\uFFFDenum"},
		{collectors.KindString, sql.RawBytes("pod\xff-1"), "pod\uFFFD-1"},
		{collectors.KindString, sql.RawBytes(""), ""},
	} {
		rs := collectors.NewRows(collectors.Column{Name: "c", Kind: tc.kind})
		r := rs.Add()
		put(r, 0, tc.in, tc.kind)
		got, ok := r.Lookup("c")
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("kind %d %q: got %#v, want %#v", tc.kind, tc.in, got, tc.want)
		}
	}
}

// TestCollectedTablesEncodeAsMaps: every table read from the lab encodes
// exactly as the same rows did as Go maps (the snapshot's JSON before rows
// were stored by column), HTML-escaped or not.
func TestCollectedTablesEncodeAsMaps(t *testing.T) {
	m := labDB(t)
	p, err := collect(t, config(t, m, "auditor", auditPW, "lab"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.DB) < 30 {
		t.Fatalf("only %d tables collected", len(p.DB))
	}
	for name, tab := range p.DB {
		old := map[string]map[string]any{}
		for id, row := range tab {
			old[id] = row.Map()
		}
		for _, html := range []bool{true, false} {
			var got, want bytes.Buffer
			for _, e := range []struct {
				buf *bytes.Buffer
				v   any
			}{{&got, tab}, {&want, old}} {
				enc := json.NewEncoder(e.buf)
				enc.SetEscapeHTML(html)
				if err := enc.Encode(e.v); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("db.%s (escapeHTML %v) encodes differently from its maps", name, html)
			}
		}
	}
}

// TestInventoryTablesReadFirst: the tables stage 2 starts from are read
// before the large ones, the last of them last, so early hands them over.
func TestInventoryTablesReadFirst(t *testing.T) {
	pos := map[string]int{}
	for i, sp := range specs {
		pos[sp.table] = i
	}
	inv := collectors.InventoryTables
	last := inv[len(inv)-1]
	for _, name := range inv {
		i, ok := pos[name]
		if !ok {
			t.Fatalf("inventory table %s is not read", name)
		}
		if i > pos[last] {
			t.Errorf("%s is read after %s, which hands the inventory over", name, last)
		}
	}
	for _, big := range []string{"vm_instance", "volumes", "user_vm", "nics"} {
		if pos[big] < pos[last] {
			t.Errorf("%s is read before the inventory is handed over", big)
		}
	}
}
