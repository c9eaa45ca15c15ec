package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/csaudit/csaudit/fixtures"
)

// viaEncodingJSON is what the input was before DecodeValue: encoding/json
// with UseNumber, then OPA's conversion.
func viaEncodingJSON(t *testing.T, b []byte) ast.Value {
	t.Helper()
	var doc any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	v, err := ast.InterfaceToValue(doc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDecodeValueMatchesEncodingJSON: the streaming decoder gives the value
// encoding/json and OPA's conversion give, escapes, broken UTF-8 and
// surrogates included, and the index ParseInput built from that value.
func TestDecodeValueMatchesEncodingJSON(t *testing.T) {
	e := defaultEngine(t)
	odd := []byte(`{"a":"\u00e9\ud83d\ude00 \ud800x \ud800\ud800 \udc00\ud83d\ude00 \/\b\f\n\r\t\"\\ caf` + "\xe9 \xf0\x9f\x98\x80 \xff\xfe" + `",
	  "n":[0,-0,1.5,-2e-7,1E+21,12345678901234567890,0.0],"e":{},"l":[],"deep":[[[{"x":[true,false,null]}]]],
	  "db":{"vm_instance":{"1":{"id":1,"state":"Running","host_id":3,"removed":null}}}}`)
	for name, raw := range map[string][]byte{"lab": fixtures.Lab(), "generated": scaleSnapshot(e, 300), "odd": odd} {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeValue(bytes.NewReader(raw), DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := viaEncodingJSON(t, raw)
			if got.Compare(want) != 0 {
				t.Fatalf("differs:\n got  %.3000v\n want %.3000v", got, want)
			}
			in, err := ParseInput(raw)
			if err != nil {
				t.Fatal(err)
			}
			if idx := indexValue(want.(ast.Object)); in.Index.Compare(idx) != 0 {
				t.Errorf("index built while decoding differs from the index of the value")
			}
		})
	}
}

// TestDecodeValueRefuses: duplicate keys (and case-only ones where a field
// is read), nesting, size, syntax — each an error that names where and
// never quotes a value.
func TestDecodeValueRefuses(t *testing.T) {
	field := func(k string) bool { return k == "state" }
	many := `{"db":{"t":{` + strings.Repeat(`"k":1,`, 0)
	for i := 0; i < 40; i++ {
		many += `"r` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":1,`
	}
	for _, tc := range []struct {
		name, doc, want string
		max             int64
	}{
		{"dup", `{"meta":{"a":1,"a":2}}`, `meta: key "a" appears twice`, 0},
		{"dup in a large object", many + `"raa":2}}}`, `db.t: key "raa" appears twice`, 0},
		{"case-only field", `{"x":{"state":"secret-one","State":"secret-two"}}`, `x: key "State" appears twice (ignoring case)`, 0},
		{"deep", strings.Repeat("[", 70) + strings.Repeat("]", 70), "nested deeper than 64 levels", 0},
		{"too large", `{"a":"` + strings.Repeat("x", 5000) + `"}`, "too large once decoded", 1000},
		{"trailing", `{} {}`, "data after the document", 0},
		{"truncated", `{"a":"secret-thr`, "unexpected end of JSON input", 0},
		{"bad number", `{"a":01}`, "invalid", 0},
		{"bad literal", `{"a":nul}`, "invalid literal", 0},
		{"control char", "{\"a\":\"x\x01\"}", "invalid character", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeValue(strings.NewReader(tc.doc), DecodeOptions{FoldedField: field, MaxDecoded: tc.max})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error quotes a value: %v", err)
			}
			if tc.max > 0 && !errors.Is(err, ErrTooLarge) {
				t.Errorf("not ErrTooLarge: %v", err)
			}
		})
	}
	// Map keys may differ in case where no struct field is read.
	if _, err := DecodeValue(strings.NewReader(`{"s":{"Foo":1,"foo":2}}`), DecodeOptions{FoldedField: field}); err != nil {
		t.Errorf("case-different map keys: %v", err)
	}
}

// One huge string (a gzip bomb of a single value) is refused once it passes
// MaxString, before the buffer's growth and copies cost several times it.
func TestDecodeRefusesHugeString(t *testing.T) {
	doc := `{"a":"` + strings.Repeat("x", MaxString+1) + `"}`
	if _, err := DecodeValue(strings.NewReader(doc), DecodeOptions{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("got %v, want ErrTooLarge", err)
	}
	ok := `{"a":"` + strings.Repeat("x", 1<<20) + `"}`
	if _, err := DecodeValue(strings.NewReader(ok), DecodeOptions{}); err != nil {
		t.Errorf("a 1 MiB string: %v", err)
	}
}
