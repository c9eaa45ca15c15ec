package pipeline

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/policies"
)

func gzipped(t *testing.T, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	for _, p := range parts {
		zw.Write([]byte(p))
	}
	zw.Close()
	return b.Bytes()
}

// TestLoadSavedMatchesDecodeSnapshot: the one-pass load gives the snapshot
// DecodeSnapshot gives, the input ParseInput gives and the digest of the
// JSON, from the gzip file as from the plain one.
func TestLoadSavedMatchesDecodeSnapshot(t *testing.T) {
	raw := fixtures.Lab()
	want, err := collectors.DecodeSnapshot(raw)
	if err != nil {
		t.Fatal(err)
	}
	wantIn, err := policies.ParseInput(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string][]byte{"plain": raw, "gzip": gzipped(t, string(raw))} {
		sv, err := decodeSaved(file)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, _ := want.Encode()
		b, _ := sv.snap.Encode()
		if !bytes.Equal(a, b) {
			t.Errorf("%s: snapshot differs from DecodeSnapshot's", name)
		}
		if sv.digest != collectors.SHA256(raw) {
			t.Errorf("%s: digest %s", name, sv.digest)
		}
		if sv.in.Value.Compare(wantIn.Value) != 0 || sv.in.Index.Compare(wantIn.Index) != 0 || !equalJSON(t, sv.in.Coverage, wantIn.Coverage) {
			t.Errorf("%s: input differs from ParseInput's", name)
		}
	}
}

// TestLoadSavedRefuses: what DecodeSnapshot refuses, the one-pass load
// refuses too, and a small gzip that decodes to far more than the cap is
// stopped having allocated less than twice the cap.
func TestLoadSavedRefuses(t *testing.T) {
	lab := string(fixtures.Lab())
	noCoverage := strings.Replace(lab, `"coverage":`, `"coverage_gone":`, 1)
	for _, tc := range []struct{ name, doc, want string }{
		{"no coverage", noCoverage, "malformed snapshot"},
		{"duplicate key", strings.Replace(lab, `"schema":`, `"meta": {}, "schema":`, 1), `key "meta" appears twice`},
		{"case-only field", strings.Replace(lab, `"schema":`, `"Meta": {}, "schema":`, 1), "appears twice (ignoring case)"},
		{"state not a string", `{"schema":"csaudit.snapshot/v1","meta":{"collected_at":"2026-01-01T00:00:00Z","tool":{"name":"x","version":"y"},"collectors":{}},"db":{"vm_instance":{"1":{"state":5}}},"settings":{},"hosts":{},"oobm":{},"coverage":{},"collector_errors":[]}`, "db.vm_instance[\"1\"].state: want a string or null"},
		{"report", `{"schema":"csaudit.report/v1"}`, "a csaudit report, not a snapshot"},
		{"not json", "not json", "not a JSON snapshot"},
	} {
		for _, file := range [][]byte{[]byte(tc.doc), gzipped(t, tc.doc)} {
			if _, err := decodeSaved(file); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
			}
		}
	}
	cut := gzipped(t, lab)
	if _, err := decodeSaved(cut[:len(cut)/2]); err == nil || !strings.Contains(err.Error(), "truncated or corrupt gzip") {
		t.Errorf("truncated gzip: %v", err)
	}

	defer func(old int64) { maxDecoded = old }(maxDecoded)
	maxDecoded = 64 << 20
	// About 1 MB of gzip expanding to 200 MB of numbers.
	body := strings.Repeat("1,", 1<<20)
	parts := []string{`{"schema":"csaudit.snapshot/v1","x":[`}
	for i := 0; i < 100; i++ {
		parts = append(parts, body)
	}
	bomb := gzipped(t, append(parts, "1]}")...)
	p := filepath.Join(t.TempDir(), "bomb.json.gz")
	if err := os.WriteFile(p, bomb, 0o600); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := loadSaved(p)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than the 64 MiB limit once decoded") {
		t.Fatalf("bomb (%d bytes): %v", len(bomb), err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 2*uint64(maxDecoded) {
		t.Errorf("refusing the bomb allocated %d MiB in all, more than twice the %d MiB cap", grew>>20, maxDecoded>>20)
	}
}

// TestLoadSavedPlainFile: a plain snapshot file is read as a stream, not
// held: its evidence is the same JSON gzipped beside the decoding, and it
// evaluates as its gzip form and as DecodeSnapshot's reading of it do.
func TestLoadSavedPlainFile(t *testing.T) {
	raw := fixtures.Lab()
	dir := t.TempDir()
	plain, gz := filepath.Join(dir, "s.json"), filepath.Join(dir, "s.json.gz")
	if err := os.WriteFile(plain, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gz, gzipped(t, string(raw)), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := loadSaved(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadSaved(gz)
	if err != nil {
		t.Fatal(err)
	}
	if a.digest != collectors.SHA256(raw) || b.digest != a.digest {
		t.Errorf("digests %s %s", a.digest, b.digest)
	}
	back, err := collectors.ReadLimited(bytes.NewReader(a.file), collectors.MaxSnapshotBytes)
	if err != nil || !bytes.Equal(back, raw) {
		t.Errorf("the plain file's evidence is not its JSON gzipped (%v)", err)
	}
	if a.in.Value.Compare(b.in.Value) != 0 || a.in.Index.Compare(b.in.Index) != 0 {
		t.Error("plain and gzip files evaluate different inputs")
	}
}

// TestLoadSavedRows: rows decoded straight into the columnar store keep what
// the Rego value of their JSON holds — integers past 2^53 exactly, floats,
// invalid UTF-8 replaced — and are refused as a row object is refused.
func TestLoadSavedRows(t *testing.T) {
	doc := func(rows string) string {
		return `{"schema":"csaudit.snapshot/v1","meta":{"collected_at":"2026-01-01T00:00:00Z","tool":{"name":"x","version":"y"},"collectors":{}},"db":{"vm_instance":` + rows + `},"settings":{},"hosts":{},"oobm":{},"coverage":{},"collector_errors":[]}`
	}
	good := doc(`{"1":{"id":9007199254740993,"state":"Running","ratio":1.5,"name":"aBADb","removed":null},"2":null,"3":{"id":3,"ratio":2,"Name":"x","name":"y"}}`)
	good = strings.Replace(good, "BAD", "\xff", 1)
	sv, err := decodeSaved([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want, err := policies.ParseInput([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	got := sv.in.Value.(interface {
		Get(*ast.Term) *ast.Term
	}).Get(ast.StringTerm("db")).Value.(ast.Object).Get(ast.StringTerm("vm_instance"))
	wantT := want.Value.(ast.Object).Get(ast.StringTerm("db")).Value.(ast.Object).Get(ast.StringTerm("vm_instance"))
	for _, id := range []string{"1", "2", "3"} {
		g := got.Value.(ast.Object).Get(ast.StringTerm(id))
		w := wantT.Value.(ast.Object).Get(ast.StringTerm(id))
		if g == nil || w == nil || g.Value.Compare(w.Value) != 0 {
			t.Errorf("row %s: got %v, want %v", id, g, w)
		}
	}
	if sv.snap.DB["vm_instance"]["1"].Get("id") != int64(9007199254740993) {
		t.Errorf("id kept as %#v", sv.snap.DB["vm_instance"]["1"].Get("id"))
	}
	for name, tc := range map[string]struct{ rows, want string }{
		"column twice":    {`{"1":{"id":1,"state":"Running","id":2}}`, `db.vm_instance.1: key "id" appears twice`},
		"row twice":       {`{"1":{"id":1},"1":null}`, `key "1" appears twice`},
		"row not object":  {`{"1":"Running"}`, `want an object`},
		"nested cell":     {`{"1":{"id":1,"state":{"a":1}}}`, `state`},
		"unclosed string": {`{"1":{"id":1,"state":"Run`, `not a JSON snapshot`},
		"bad number cell": {`{"1":{"id":01}}`, `invalid`},
	} {
		if _, err := decodeSaved([]byte(doc(tc.rows))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
}

// TestLoadSavedRefusesSparseTables: a column set only on the last of many
// rows (or rows that each bring a new one) would cost memory quadratic in the
// rows in a column store, and a table has a bounded number of columns; both
// readers refuse such tables.
func TestLoadSavedRefusesSparseTables(t *testing.T) {
	doc := func(rows string) []byte {
		return []byte(`{"schema":"csaudit.snapshot/v1","meta":{"collected_at":"2026-01-01T00:00:00Z","tool":{"name":"x","version":"y"},"collectors":{}},"db":{"vm_instance":{` + rows + `}},"settings":{},"hosts":{},"oobm":{},"coverage":{},"collector_errors":[]}`)
	}
	var wide, late strings.Builder
	wide.WriteString(`"1":{`)
	for i := 0; i < 600; i++ {
		if i > 0 {
			wide.WriteByte(',')
		}
		fmt.Fprintf(&wide, `"c%d":1`, i)
	}
	wide.WriteString(`}`)
	for i := 0; i < 70000; i++ {
		if i > 0 {
			late.WriteByte(',')
		}
		if i == 69999 {
			fmt.Fprintf(&late, `"%d":{"a":1,"b":2}`, i)
		} else {
			fmt.Fprintf(&late, `"%d":{"a":1}`, i)
		}
	}
	for name, tc := range map[string]struct {
		rows string
		want string
	}{
		"a column per row":         {wide.String(), "more than 512 distinct columns"},
		"a column on the last row": {late.String(), "rows lack columns other rows have"},
	} {
		_, err := decodeSaved(doc(tc.rows))
		if err == nil || !strings.Contains(err.Error(), "db.vm_instance") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: decodeSaved: %v", name, err)
		}
		if _, err := collectors.DecodeSnapshot(doc(tc.rows)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: DecodeSnapshot: %v", name, err)
		}
	}
}
