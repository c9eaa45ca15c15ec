package collectors

import (
	"strings"
	"testing"
)

func TestCheckKeys(t *testing.T) {
	for in, want := range map[string]string{
		`{"a": 1, "b": {"c": [1, {"d": 2}]}}`:                                      "",
		`{"a": "x\"y", "b": "{", "c": "\\"}`:                                       "",
		`{"meta": {}, "meta": {}}`:                                                 `the top level: key "meta" appears twice`,
		`{"meta": {}, "META": {}}`:                                                 `the top level: key "META" appears twice`,
		`{"db": {"vm_instance": {"1": {"state": "Running", "State": "Stopped"}}}}`: `db.vm_instance.1: key "State" appears twice`,
		`{"a": [{"x": 1, "x": 2}]}`:                                                `a[]: key "x" appears twice`,
		`{"met\u0061": 1, "meta": 2}`:                                              `key "meta" appears twice`,
		`{"a": 1`:                                                                  "unbalanced",
		strings.Repeat("[", 100) + strings.Repeat("]", 100):                        "nested deeper than 64",
	} {
		err := checkKeys([]byte(in))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", in, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	// A table of many rows uses a set, and still finds the duplicate.
	var b strings.Builder
	b.WriteString(`{"t": {`)
	for i := 0; i < 1000; i++ {
		b.WriteString(`"` + strings.Repeat("k", 1) + itoa(i) + `": 1,`)
	}
	b.WriteString(`"k999": 2}}`)
	if err := checkKeys([]byte(b.String())); err == nil || !strings.Contains(err.Error(), `t: key "k999"`) {
		t.Errorf("large object: %v", err)
	}
}

func itoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return itoa(i/10) + d[i%10:i%10+1]
}
