package collectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// edgeValues are values a row may hold, chosen where encoding/json has rules
// of its own: HTML characters, control characters, U+2028/2029, invalid
// UTF-8, float formatting limits, integers past int64, other Go types.
var edgeValues = []any{
	nil, "", "plain", "<script>alert('x')</script> & more", "quote \" backslash \\ slash /",
	"\x00\x01\x07\x1f\x7f", "\b\f\n\r\t", "line\u2028para\u2029end", "héllo узел-kvm-07 😀",
	"\xff\xfe bad", "a\xc3", "\xed\xa0\x80 surrogate", "pod\uFFFD-1", strings.Repeat("long ", 2000),
	int64(0), int64(-1), int64(255), int64(256), int64(math.MaxInt64), int64(math.MinInt64),
	int(7), uint64(math.MaxUint64), int32(-3),
	0.0, math.Copysign(0, -1), 1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, -2.5e-10, math.MaxFloat64, math.SmallestNonzeroFloat64, float32(0.1),
	true, false,
	json.Number("12"), []any{int64(1), "x<y"}, map[string]any{"<k>": "&v", "a": nil},
}

// mapEncodings is what the snapshot used to write for these rows (a Go map
// per row): json.Marshal (HTML escaped) and the snapshot file's encoder
// (indented, HTML escaping off).
func encodings(t *testing.T, v any) (compact, file []byte) {
	t.Helper()
	compact, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return compact, buf.Bytes()
}

// sameJSON checks that the table and the maps it was built from encode to the
// same bytes both ways.
func sameJSON(t *testing.T, tab Table, old map[string]map[string]any) {
	t.Helper()
	wantC, wantF := encodings(t, old)
	gotC, gotF := encodings(t, tab)
	if !bytes.Equal(gotC, wantC) {
		t.Errorf("json.Marshal differs:\n got %s\nwant %s", gotC, wantC)
	}
	if !bytes.Equal(gotF, wantF) {
		t.Errorf("indented encoding differs:\n got %s\nwant %s", gotF, wantF)
	}
	for k, m := range old {
		gotC, gotF := encodings(t, tab[k])
		wantC, wantF := encodings(t, m)
		if !bytes.Equal(gotC, wantC) || !bytes.Equal(gotF, wantF) {
			t.Errorf("row %q: Row.MarshalJSON %s, map %s", k, gotC, wantC)
		}
	}
}

func TestTableJSONEqualsMapJSON(t *testing.T) {
	old := map[string]map[string]any{}
	rs := NewRows()
	tab := Table{}
	// One column per edge value, rows with different column sets: a missing
	// column is left out, a nil one is null.
	for i, v := range edgeValues {
		m := map[string]any{"id": int64(i), fmt.Sprintf("c%02d", i): v, "shared": v}
		if i%3 == 0 {
			m["sometimes"] = nil
		}
		key := fmt.Sprint(i)
		old[key] = m
		tab[key] = rs.AddMap(m)
	}
	// Keys that sort differently as strings and as numbers, and that need escaping.
	for _, k := range []string{"10", "9", "100", "a<b&c", "\u2028", "\xff"} {
		m := map[string]any{"<odd key>": k, "id": k}
		old[k] = m
		tab[k] = rs.AddMap(m)
	}
	old["empty"], tab["empty"] = map[string]any{}, rs.AddMap(map[string]any{})
	old["nil"], tab["nil"] = nil, Row{}
	sameJSON(t, tab, old)
	var nilTab Table
	if b, _ := json.Marshal(nilTab); string(b) != "null" {
		t.Errorf("nil table = %s, want null as a nil map", b)
	}
}

// TestRandomRowsJSON builds many tables of random rows drawn from the edge
// values, each table sharing one store, and compares encodings.
func TestRandomRowsJSON(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	cols := []string{"id", "name", "state", "a", "b", "c", "removed", "<x>", "é"}
	for range 200 {
		old := map[string]map[string]any{}
		rs := NewRows()
		tab := Table{}
		for range 1 + rnd.IntN(20) {
			m := map[string]any{}
			for _, c := range cols {
				if rnd.IntN(4) > 0 {
					m[c] = edgeValues[rnd.IntN(len(edgeValues))]
				}
			}
			k := fmt.Sprint(rnd.IntN(1000))
			old[k] = m
			tab[k] = rs.AddMap(m)
		}
		sameJSON(t, tab, old)
		if t.Failed() {
			return
		}
	}
}

// TestTypedColumns: the setters the database collector uses store what the
// old per-row maps held (int64, bool, RFC 3339 strings, null) and encode the same.
func TestTypedColumns(t *testing.T) {
	rs := NewRows(Column{"id", KindInt}, Column{"created", KindTime}, Column{"state", KindEnum}, Column{"name", KindString},
		Column{"ha", KindBool}, Column{"ratio", KindFloat}, Column{"big", KindInt}, Column{"when", KindTime})
	tab := Table{}
	old := map[string]map[string]any{}
	states := []string{"Running", "Stopped", "Running", "Expunging", "Running"}
	for i, st := range states {
		r := rs.Add()
		r.SetInt(0, int64(i+1))
		r.SetTime(1, 20261120120000+int64(i))
		r.SetBytes(2, []byte(st))
		r.SetBytes(3, []byte(fmt.Sprintf("i-2-%d-VM <&>", i)))
		r.SetBool(4, i%2 == 0)
		r.SetFloat(5, float64(i)/4)
		want := map[string]any{"id": int64(i + 1), "created": fmt.Sprintf("2026-11-20T12:00:%02dZ", i), "state": st,
			"name": fmt.Sprintf("i-2-%d-VM <&>", i), "ha": i%2 == 0, "ratio": float64(i) / 4}
		switch i {
		case 1:
			r.SetNull(6) // null cells in every kind
			r.SetNull(7)
			want["big"], want["when"] = nil, nil
		case 2:
			r.Set(6, uint64(math.MaxUint64)) // an int column meets a value past int64
			r.Set(7, "abcd-ef-ghTij:kl:mnZ") // and a time column a text
			want["big"], want["when"] = uint64(math.MaxUint64), "abcd-ef-ghTij:kl:mnZ"
		default:
			r.SetInt(6, -int64(i))
			r.SetTime(7, 99991231235959)
			want["big"], want["when"] = -int64(i), "9999-12-31T23:59:59Z"
		}
		key := fmt.Sprint(i + 1)
		tab[key], old[key] = r, want
	}
	sameJSON(t, tab, old)
	for k, want := range old {
		if got := tab[k].Map(); !reflect.DeepEqual(got, want) {
			t.Errorf("row %s: Get gives %#v, want %#v", k, got, want)
		}
	}
	r := tab["1"]
	if v, ok := r.Lookup("missing"); v != nil || ok {
		t.Errorf("missing column: %v %v", v, ok)
	}
	if v, ok := tab["2"].Lookup("big"); v != nil || !ok {
		t.Errorf("null column: %v %v", v, ok)
	}
	if r.Text("id") != "1" || r.Text("created") != "2026-11-20T12:00:00Z" || r.Text("missing") != "" {
		t.Errorf("Text: %q %q", r.Text("id"), r.Text("created"))
	}
	var zero Row
	if zero.Get("id") != nil || zero.Map() != nil {
		t.Error("the zero Row has no columns")
	}
}

// TestOverwriteAndSecrets: a cell set again keeps only the last value (the
// collector nulls a withheld secret's value); an enum with more distinct
// values than its codes hold turns into plain strings without losing any.
func TestOverwriteAndSecrets(t *testing.T) {
	rs := NewRows(Column{"value", KindString}, Column{"kind", KindEnum})
	r := rs.Add()
	r.SetBytes(0, []byte("s3cret"))
	r.SetNull(0)
	if b, _ := json.Marshal(r); strings.Contains(string(b), "s3cret") || r.Get("value") != nil {
		t.Errorf("overwritten value still there: %s", b)
	}
	if c := rs.cols[0]; c.strs[0] != "" {
		t.Error("the overwritten string is still referenced")
	}
	tab := Table{}
	old := map[string]map[string]any{}
	for i := range 70000 {
		r := rs.Add()
		v := fmt.Sprint("k", i)
		r.SetBytes(1, []byte(v))
		if i%1000 == 0 {
			k := fmt.Sprint(i)
			tab[k], old[k] = r, map[string]any{"kind": v}
		}
	}
	if rs.cols[1].kind != KindString {
		t.Errorf("enum kind = %d after 70,000 distinct values", rs.cols[1].kind)
	}
	sameJSON(t, tab, old)
}

// TestSnapshotRoundTrip: a snapshot decodes (rows sharing one store per
// table, JSON numbers as float64, as encoding/json gives) and re-encodes to
// the same bytes.
func TestSnapshotRoundTrip(t *testing.T) {
	s := NewSnapshot(Tool{Name: "csaudit", Version: "test"}, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	rs := NewRows(Column{"id", KindInt}, Column{"created", KindTime}, Column{"name", KindString})
	s.DB["vm_instance"] = Table{}
	// Valid UTF-8 only: an invalid byte is written as \ufffd and decodes
	// to U+FFFD itself, which re-encodes differently (as with any map).
	var names []string
	for _, v := range edgeValues {
		if s, ok := v.(string); ok && utf8.ValidString(s) {
			names = append(names, s)
		}
	}
	for i := range 50 {
		r := rs.Add()
		r.SetInt(0, int64(i))
		r.SetTime(1, 20260101000000+int64(i))
		r.SetBytes(2, []byte(names[i%len(names)]))
		s.DB["vm_instance"][fmt.Sprint(i)] = r
	}
	s.DB["mixed"] = Table{"1": RowOf(map[string]any{"a": nil, "b": true, "c": 1.25}), "2": RowOf(map[string]any{"d": "<&>"})}
	s.DB["empty"] = Table{}
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("re-encoded snapshot differs:\n%s\n%s", b, b2)
	}
	vm := d.DB["vm_instance"]["7"]
	if vm.Get("id") != 7.0 || vm.Get("created") != "2026-01-01T00:00:07Z" {
		t.Errorf("decoded row = %#v", vm.Map())
	}
	if d.DB["vm_instance"]["1"].rs != vm.rs {
		t.Error("decoded rows of one table should share one store")
	}
	var r Row
	if err := json.Unmarshal([]byte(`{"x":1,"y":null}`), &r); err != nil || r.Get("x") != 1.0 {
		t.Errorf("Row.UnmarshalJSON: %v %#v", err, r.Map())
	}
	if err := json.Unmarshal([]byte(`{"1":"not a row"}`), &Table{}); err == nil {
		t.Error("a table whose row is not an object must not decode")
	}
}

// FuzzStringJSON: any string encodes in a row exactly as in a map.
func FuzzStringJSON(f *testing.F) {
	for _, v := range edgeValues {
		if s, ok := v.(string); ok {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs := NewRows(Column{"s", KindString}, Column{"e", KindEnum})
		r := rs.Add()
		r.SetBytes(0, []byte(s))
		r.SetBytes(1, []byte(s))
		want := map[string]any{"s": s, "e": s}
		for _, html := range []bool{true, false} {
			var got, exp bytes.Buffer
			for v, buf := range map[any]*bytes.Buffer{"row": &got, "map": &exp} {
				enc := json.NewEncoder(buf)
				enc.SetEscapeHTML(html)
				var err error
				if v == "row" {
					err = enc.Encode(Table{s: r})
				} else {
					err = enc.Encode(map[string]any{s: want})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got.Bytes(), exp.Bytes()) {
				t.Fatalf("escapeHTML=%v: %q != %q", html, got.Bytes(), exp.Bytes())
			}
		}
	})
}

// TestWriteJSONMatchesEncoder: the streamed snapshot is byte for byte what
// encoding/json's indenting encoder writes for it (the digest of every saved
// snapshot depends on it), whatever the tables hold.
func TestWriteJSONMatchesEncoder(t *testing.T) {
	rs := NewRows()
	odd := Table{
		"1":        rs.AddMap(map[string]any{"id": int64(1), "name": "a<b>&c\u2028d\xffe", "nested": []any{map[string]any{}, []any{}, "x"}, "f": 1.5e-7}),
		"2":        {},
		"<\u2029>": rs.AddMap(map[string]any{"empty": map[string]any{}, "n": nil}),
		"4":        NewRows().AddMap(map[string]any{}),
	}
	edge := map[string]any{}
	for i, v := range edgeValues {
		if _, err := json.Marshal(v); err == nil {
			edge[fmt.Sprintf("c%02d", i)] = v
		}
	}
	odd["5"] = rs.AddMap(edge)
	for name, db := range map[string]map[string]Table{
		"nil":   nil,
		"empty": {},
		"odd":   {"t": odd, "nil": nil, "none": {}, "a\"b": Table{"x": RowOf(map[string]any{"v": true})}},
	} {
		s := NewSnapshot(Tool{Name: "csaudit", Version: "t"}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		s.DB = db
		v := "v"
		s.Settings["k"] = Setting{Value: &v}
		var want, got bytes.Buffer
		if err := indentEncoder(&want).Encode(s); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteJSON(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed JSON differs:\n got  %q\n want %q", name, got.String(), want.String())
		}
	}
}
