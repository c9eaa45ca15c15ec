package pipeline

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/policies"
)

// Input converts a snapshot held in memory into what the policies evaluate,
// without its JSON. Database tables stay in their columnar store: each is a
// lazy Rego object (ast.LazyObject) from row key to the row, and a row becomes
// a Rego object only when a check reads it — through its JSON, exactly the
// value the snapshot's encoding gives it (TestInputMatchesEncoding). Checks
// reach the large tables through data.csaudit.index and by key, so most of a
// 100,000-VM cloud's rows are never converted; a policy that iterates a
// table converts all of it, once. The groupings are made in the same pass,
// from the few columns they read. Only the parts outside db — meta,
// settings, host facts, coverage: a few percent of a large cloud's bytes —
// go through encoding/json, which knows their struct tags.
//
// The value is not safe for concurrent evaluations: a lazy object records
// the rows it converted.
func Input(s *collectors.Snapshot) (*policies.Input, error) {
	db, ix, err := tablesValue(s.DB)
	if err != nil {
		return nil, err
	}
	return inputFrom(s, db, ix)
}

// tablesInput is tablesValue made in the background: a live audit starts it
// once the database's tables are in (collectors.Runner.Inventoried), while
// the hosts are still being visited.
type tablesInput struct {
	done chan struct{}
	db   map[string]any
	ix   *policies.Indexer
	err  error
}

func startTables(db map[string]collectors.Table) *tablesInput {
	t := &tablesInput{done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.db, t.ix, t.err = tablesValue(db)
	}()
	return t
}

// input waits for the tables and completes the input from the snapshot.
func (t *tablesInput) input(s *collectors.Snapshot) (*policies.Input, error) {
	<-t.done
	if t.err != nil {
		return nil, t.err
	}
	return inputFrom(s, t.db, t.ix)
}

// tablesValue is the lazy db object's native map (nil without a db) and an
// Indexer holding every row.
func tablesValue(tables map[string]collectors.Table) (map[string]any, *policies.Indexer, error) {
	ix := policies.NewIndexer()
	if tables == nil {
		return nil, ix, nil
	}
	cv := cellConverter{short: map[string]*ast.Term{}}
	db := make(map[string]any, len(tables))
	for name, t := range tables {
		if t == nil {
			db[name] = nil
			continue
		}
		cols := ix.Columns(name)
		removed := ix.RemovedColumn(name)
		texts, has := make([]string, len(cols)), make([]bool, len(cols))
		native := make(map[string]any, len(t))
		for id, row := range t {
			if !utf8.ValidString(id) {
				// The row's key as its encoding would decode.
				id = validUTF8(id)
			}
			if row == (collectors.Row{}) {
				native[id] = nil // the zero Row encodes as null
				continue
			}
			if err := row.Encodable(); err != nil {
				return nil, nil, fmt.Errorf("snapshot db.%s: %w", name, err)
			}
			native[id] = row
			if cols == nil {
				continue
			}
			gone := false
			for i, c := range cols {
				v, ok := row.Lookup(c)
				if i == removed {
					gone = ok && v != nil
				}
				var err error
				if texts[i], has[i], err = cv.keyText(v); err != nil {
					return nil, nil, fmt.Errorf("snapshot db.%s[%q]: %s: %w", name, id, c, err)
				}
			}
			ix.RowText(name, id, texts, has, gone)
		}
		db[name] = native
	}
	return db, ix, nil
}

// inputFrom completes the input: the parts outside db through encoding/json,
// the root lazy, the index with the host facts' domains.
func inputFrom(s *collectors.Snapshot, db map[string]any, ix *policies.Indexer) (*policies.Input, error) {
	rest := *s
	rest.DB = nil
	b, err := json.Marshal(&rest)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	// The root, db and each table are lazy objects: an object's hash
	// covers its values, so a table inside a plain object would be
	// converted whole the moment it was inserted.
	native := map[string]any{}
	v.(ast.Object).Foreach(func(k, v *ast.Term) {
		native[string(k.Value.(ast.String))] = v.Value
	})
	if s.DB != nil {
		native["db"] = db
	}
	root := ast.LazyObject(native)
	in := &policies.Input{Value: root, Index: ix.Index(root), Coverage: map[string]policies.Coverage{}, Selected: map[string]bool{}}
	for fact, c := range s.Coverage {
		if c == nil {
			in.Coverage[fact] = policies.Coverage{}
			continue
		}
		in.Coverage[fact] = policies.Coverage{Collector: c.Collector, Selected: c.Selected, Collected: c.Collected, Failed: c.Failed}
	}
	for n, c := range s.Meta.Collectors {
		in.Selected[n] = c.Selected
	}
	return in, nil
}

// cellConverter turns table cells into Rego terms. Short strings (states,
// types, flags) repeat across 100,000 rows: they share one term each.
type cellConverter struct {
	short map[string]*ast.Term
}

func (cv *cellConverter) str(s string) *ast.Term {
	if !utf8.ValidString(s) {
		s = validUTF8(s)
	}
	if len(s) > 16 {
		return ast.StringTerm(s)
	}
	t, ok := cv.short[s]
	if !ok {
		t = ast.StringTerm(s)
		cv.short[s] = t
	}
	return t
}

// keyText is lib.key of a cell (policies.KeyText of its Rego value), made
// from the Go value without the term for the common types.
func (cv *cellConverter) keyText(v any) (string, bool, error) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		if !utf8.ValidString(x) {
			x = validUTF8(x)
		}
		return x, true, nil
	case int64:
		return strconv.FormatInt(x, 10), true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	}
	t, err := cv.cell(v)
	if err != nil {
		return "", false, err
	}
	s, ok := policies.KeyText(t.Value)
	return s, ok, nil
}

// cell is one value as its JSON encoding would decode: numbers as written,
// strings with invalid UTF-8 replaced as encoding/json replaces it.
func (cv *cellConverter) cell(v any) (*ast.Term, error) {
	switch x := v.(type) {
	case nil:
		return ast.NullTerm(), nil
	case string:
		return cv.str(x), nil
	case bool:
		return ast.BooleanTerm(x), nil
	case int64:
		return intTerm(strconv.FormatInt(x, 10)), nil
	case int:
		return intTerm(strconv.Itoa(x)), nil
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return intTerm(floatText(x)), nil
		}
	}
	// Floats and values kept as given: their exact encoding decides.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	val, err := ast.ValueFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(val), nil
}

// floatText writes f as encoding/json does: the shortest form, exponent
// only below 1e-6 or from 1e21, "e-07" shortened to "e-7".
func floatText(f float64) string {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}

// intTerm is a number term: the interned one for small integers.
func intTerm(s string) *ast.Term {
	if t := ast.InternedIntNumberTermFromString(s); t != nil {
		return t
	}
	return ast.NumberTerm(json.Number(s))
}

// validUTF8 replaces each invalid byte with U+FFFD, as encoding/json writes it.
func validUTF8(s string) string {
	var b []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// Evidence is a live snapshot's JSON, made beside the evaluation: its
// SHA-256 (the report's digest) and its gzip form for the file. The JSON
// itself is not kept: it goes straight into the hash and the compressor.
type Evidence struct {
	done   chan struct{}
	digest string
	gz     []byte
	err    error
}

// StartEvidence encodes and compresses s in the background; s must not
// change until Wait returns.
func StartEvidence(s *collectors.Snapshot) *Evidence {
	ev := &Evidence{done: make(chan struct{})}
	go func() {
		defer close(ev.done)
		var buf bytes.Buffer
		// Fastest level: the file is written once, read rarely, and the
		// compression must not outlast the evaluation it runs beside.
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		h := sha256.New()
		if ev.err = s.WriteJSON(io.MultiWriter(h, zw)); ev.err == nil {
			ev.err = zw.Close()
		}
		ev.digest, ev.gz = hex.EncodeToString(h.Sum(nil)), buf.Bytes()
	}()
	return ev
}

// Wait returns the snapshot JSON's SHA-256 and its gzip form.
func (ev *Evidence) Wait() (digest string, gz []byte, err error) {
	<-ev.done
	return ev.digest, ev.gz, ev.err
}
