package collectors

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// maxJSONDepth bounds nesting: a snapshot is a handful of levels deep, and a
// deeply nested document only costs stack in every decoder that reads it.
const maxJSONDepth = 64

// keyFrame is one open object or array during checkKeys.
type keyFrame struct {
	object bool
	path   string
	last   string              // the key whose value comes next
	few    []string            // keys as written, while there are few
	many   map[string]struct{} // keys as written, once there are many
	lower  map[string]struct{} // lower-cased keys, once there are many
}

// add records a key; it returns an error text when the key was there, or
// differs only in case from one that was and could stand for a Go struct
// field (encoding/json matches those ignoring case). Map keys may differ in
// case: CloudStack itself has settings whose names do.
func (f *keyFrame) add(key string) string {
	low := strings.ToLower(key)
	_, field := structFields()[low]
	if f.many != nil {
		if _, dup := f.many[key]; dup {
			return "appears twice"
		}
		if _, near := f.lower[low]; near && field {
			return "appears twice (ignoring case)"
		}
		f.many[key], f.lower[low] = struct{}{}, struct{}{}
		return ""
	}
	for _, k := range f.few {
		if k == key {
			return "appears twice"
		}
		if field && strings.EqualFold(k, key) {
			return "appears twice (ignoring case)"
		}
	}
	f.few = append(f.few, key)
	if len(f.few) > 16 { // a table of rows: switch to sets
		f.many, f.lower = make(map[string]struct{}, 64), make(map[string]struct{}, 64)
		for _, k := range f.few {
			f.many[k], f.lower[strings.ToLower(k)] = struct{}{}, struct{}{}
		}
		f.few = nil
	}
	return ""
}

// structFields are the lower-cased JSON names of every struct field a
// snapshot decodes into.
var structFields = sync.OnceValue(func() map[string]struct{} {
	out := map[string]struct{}{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" || !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			out[strings.ToLower(name)] = struct{}{}
			walk(sf.Type)
		}
	}
	walk(reflect.TypeOf(Snapshot{}))
	return out
})

// checkKeys scans JSON for an object with a key twice, or two keys that
// differ only in case where a struct field is read, and for nesting beyond
// maxJSONDepth. encoding/json keeps
// the last of two equal keys and matches struct fields ignoring case, while
// the Rego input keeps every key as written: two readers of one file could see
// different facts. The scan keeps no values; errors name the object's path and
// the key, never a value. Syntax is left to the decoder that follows.
func checkKeys(b []byte) error {
	var stack []keyFrame
	expectKey := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{', '[':
			path := ""
			if n := len(stack); n > 0 {
				p := &stack[n-1]
				switch {
				case p.object && p.path == "":
					path = p.last
				case p.object:
					path = p.path + "." + p.last
				default:
					path = p.path + "[]"
				}
			}
			if len(stack) == maxJSONDepth {
				return fmt.Errorf("nested deeper than %d levels at %s", maxJSONDepth, orRoot(path))
			}
			stack = append(stack, keyFrame{object: c == '{', path: path})
			expectKey = c == '{'
		case '}', ']':
			if len(stack) == 0 {
				return errors.New("unbalanced brackets")
			}
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				expectKey = true
			}
		case '"':
			j := i + 1
			for ; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
			if j >= len(b) {
				return errors.New("unterminated string")
			}
			if expectKey && len(stack) > 0 {
				top := &stack[len(stack)-1]
				raw := b[i : j+1]
				key := string(raw[1 : len(raw)-1])
				for _, r := range raw {
					if r == '\\' {
						var err error
						if key, err = strconv.Unquote(string(raw)); err != nil {
							return fmt.Errorf("malformed key in %s", orRoot(top.path))
						}
						break
					}
				}
				if why := top.add(key); why != "" {
					return fmt.Errorf("%s: key %s %s", orRoot(top.path), strconv.Quote(cutKey(key)), why)
				}
				top.last = key
				expectKey = false
			}
			i = j
		}
	}
	if len(stack) != 0 {
		return errors.New("unbalanced brackets")
	}
	return nil
}

func orRoot(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

func cutKey(k string) string {
	if r := []rune(k); len(r) > 64 {
		return string(r[:63]) + "…"
	}
	return k
}
