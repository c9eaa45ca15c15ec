package policies

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// DecodeOptions bound and check a snapshot decoded by DecodeValue.
type DecodeOptions struct {
	// MaxDecoded caps the memory the decoded value may take (an estimate
	// counted as it is built); 0 means no cap. The value of a JSON document
	// takes several times its bytes, so the cap is what bounds the process.
	MaxDecoded int64
	// FoldedField reports a lower-cased key that names a struct field of
	// the snapshot's Go types: two keys of one object that differ only in
	// case are refused when they could stand for such a field, since
	// encoding/json would read either into it.
	FoldedField func(lower string) bool
	// Index, when set, is given every database row as it is decoded.
	Index *Indexer
	// Row, when set (and Index is not), is given every database row that is
	// an object as it is decoded, as Go values: strings, int64 for integers
	// that fit, float64 for other numbers, bools, nil, and the JSON form
	// (encoding/json's) of composite values. The row is left out of the
	// value: its table's object holds only the rows that are not objects
	// (null, or malformed for the caller to refuse). A reader that keeps rows
	// in a store of its own does not hold them twice, nor pays for their
	// Rego terms. keys and vals are reused for the next row.
	Row func(table, id string, keys []string, vals []any) error
}

// MaxDepth bounds nesting: a snapshot is a handful of levels deep.
const MaxDepth = 64

// MaxString bounds one string: a snapshot's longest are certificates and
// messages of a few kilobytes, and a string is buffered whole (with the
// buffer's growth and the final copy, several times its length) before the
// size cap can count it.
const MaxString = 16 << 20

// ErrTooLarge is returned when a document's decoded value passes MaxDecoded.
var ErrTooLarge = errors.New("too large once decoded")

// DecodeValue reads one JSON document from r as a stream, straight into the
// Rego value evaluation uses: no generic Go tree first, no second pass. It
// refuses a key twice in one object (and, with FoldedField, two keys equal
// but for case where a struct field is read), nesting past MaxDepth and a
// value past MaxDecoded, and hands each row of db.<table> to the Indexer the
// moment it is complete. Errors name where, never a value.
func DecodeValue(r io.Reader, o DecodeOptions) (ast.Value, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 256<<10), o: o, short: map[string]*ast.Term{}}
	v, err := d.value(0, nil)
	if err != nil {
		return nil, d.wrap(err)
	}
	if c, err := d.skipSpace(); err == nil {
		return nil, d.wrap(fmt.Errorf("data after the document (%q)", c))
	} else if err != io.EOF {
		return nil, d.wrap(err)
	}
	return v, nil
}

type decoder struct {
	r     *bufio.Reader
	o     DecodeOptions
	used  int64
	off   int64
	buf   []byte
	short map[string]*ast.Term // short strings repeat (states, column names)
	// shortStrs, rowKeys and rowVals serve DecodeOptions.Row.
	shortStrs [4096]string
	rowKeys   []string
	rowVals   []any
}

func (d *decoder) wrap(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("unexpected end of JSON input at byte %d", d.off)
	}
	var se *syntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s at byte %d", se.msg, d.off)
	}
	return err
}

type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

func syntaxf(format string, a ...any) error { return &syntaxError{fmt.Sprintf(format, a...)} }

func (d *decoder) charge(n int) error {
	d.used += int64(n)
	if d.o.MaxDecoded > 0 && d.used > d.o.MaxDecoded {
		return ErrTooLarge
	}
	return nil
}

func (d *decoder) next() (byte, error) {
	c, err := d.r.ReadByte()
	if err == nil {
		d.off++
	}
	return c, err
}

func (d *decoder) skipSpace() (byte, error) {
	for {
		c, err := d.next()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			return c, nil
		}
	}
}

// path locates the value being decoded: the keys from the root (for
// errors and to recognise db rows). Array elements are "[]".
func (d *decoder) value(depth int, path []string) (ast.Value, error) {
	c, err := d.skipSpace()
	if err != nil {
		return nil, err
	}
	return d.valueAt(c, depth, path)
}

func (d *decoder) valueAt(c byte, depth int, path []string) (ast.Value, error) {
	switch {
	case c == '{':
		return d.object(depth+1, path)
	case c == '[':
		return d.array(depth+1, path)
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return d.strTerm(s).Value, d.charge(len(s) + 32)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(c)
	case c == 't':
		return ast.Boolean(true), d.literal("rue")
	case c == 'f':
		return ast.Boolean(false), d.literal("alse")
	case c == 'n':
		return ast.NullValue, d.literal("ull")
	}
	return nil, syntaxf("invalid character %q looking for a value", c)
}

func (d *decoder) literal(rest string) error {
	for i := 0; i < len(rest); i++ {
		c, err := d.next()
		if err != nil {
			return err
		}
		if c != rest[i] {
			return syntaxf("invalid literal")
		}
	}
	return nil
}

func where(path []string) string {
	if len(path) == 0 {
		return "the top level"
	}
	return strings.Join(path, ".")
}

func (d *decoder) object(depth int, path []string) (ast.Value, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels at %s", MaxDepth, where(path))
	}
	if d.o.Row != nil && d.o.Index == nil && len(path) == 3 && path[0] == "db" {
		return d.row(depth, path)
	}
	var terms [][2]*ast.Term
	var seen map[string]struct{}
	var folded map[string]struct{}
	err := d.members(d.str, func(key string) error {
		if why := d.addKey(key, terms, &seen, &folded, !dbMap(path)); why != "" {
			return fmt.Errorf("%s: key %s %s", where(path), strconv.Quote(cutKey(key)), why)
		}
		v, err := d.value(depth, append(path, key))
		if err != nil {
			return err
		}
		terms = append(terms, [2]*ast.Term{d.strTerm(key), ast.NewTerm(v)})
		return d.charge(len(key) + 96)
	})
	if err != nil {
		return nil, err
	}
	// A database row: db.<table>.<id>.
	if d.o.Index != nil && len(path) == 3 && path[0] == "db" {
		d.o.Index.Row(path[1], path[2], terms)
	}
	// A table whose object rows went to Row: keys were checked with them.
	if d.o.Row != nil && len(path) == 2 && path[0] == "db" {
		kept := terms[:0]
		for _, t := range terms {
			if t[1].Value != taken {
				kept = append(kept, t)
			}
		}
		terms = kept
	}
	return ast.NewObject(terms...), nil
}

// taken stands for a row handed to DecodeOptions.Row until its table drops
// it; compared by identity.
var taken ast.Value = ast.NewArray()

// addKey records key among the object's keys so far and says why it is
// refused, if it is.
func (d *decoder) addKey(key string, terms [][2]*ast.Term, seen, folded *map[string]struct{}, fold bool) string {
	field := false
	low := ""
	if d.o.FoldedField != nil && fold {
		low = strings.ToLower(key)
		field = d.o.FoldedField(low)
	}
	if *seen == nil && len(terms) < 16 {
		for _, t := range terms {
			k := string(t[0].Value.(ast.String))
			if k == key {
				return "appears twice"
			}
			if field && strings.EqualFold(k, key) {
				return "appears twice (ignoring case)"
			}
		}
		return ""
	}
	if *seen == nil { // a table of rows: switch to sets
		*seen, *folded = make(map[string]struct{}, 64), make(map[string]struct{}, 64)
		for _, t := range terms {
			k := string(t[0].Value.(ast.String))
			(*seen)[k] = struct{}{}
			if d.o.FoldedField != nil && fold {
				(*folded)[strings.ToLower(k)] = struct{}{}
			}
		}
	}
	if _, dup := (*seen)[key]; dup {
		return "appears twice"
	}
	if _, near := (*folded)[low]; near && field {
		return "appears twice (ignoring case)"
	}
	(*seen)[key] = struct{}{}
	if d.o.FoldedField != nil && fold {
		(*folded)[low] = struct{}{}
	}
	return ""
}

// members reads an object's members after its '{': key reads each key
// (after its quote); member is given it once its ':' is read and reads the
// value.
func (d *decoder) members(key func() (string, error), member func(key string) error) error {
	c, err := d.skipSpace()
	if err != nil || c == '}' {
		return err
	}
	for {
		if c != '"' {
			return syntaxf("invalid character %q looking for an object key", c)
		}
		k, err := key()
		if err != nil {
			return err
		}
		if c, err = d.skipSpace(); err != nil {
			return err
		}
		if c != ':' {
			return syntaxf("invalid character %q after an object key", c)
		}
		if err := member(k); err != nil {
			return err
		}
		if c, err = d.skipSpace(); err != nil {
			return err
		}
		if c == '}' {
			return nil
		}
		if c != ',' {
			return syntaxf("invalid character %q after an object value", c)
		}
		if c, err = d.skipSpace(); err != nil {
			return err
		}
	}
}

// dbMap reports an object whose keys are data, not struct fields: db's
// tables, a table's row ids, a row's columns. Go reads them into maps, so
// keys equal but for case are two entries, never one field read twice.
func dbMap(path []string) bool {
	return len(path) >= 1 && path[0] == "db"
}

// row decodes a database row for DecodeOptions.Row: keys checked as any
// object's (never twice), values as Go values, no Rego terms.
func (d *decoder) row(depth int, path []string) (ast.Value, error) {
	keys, vals := d.rowKeys[:0], d.rowVals[:0]
	var seen map[string]struct{}
	err := d.members(d.shortStr, func(key string) error {
		dup := false
		if seen == nil && len(keys) < 16 {
			dup = slices.Contains(keys, key)
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, 64)
				for _, k := range keys {
					seen[k] = struct{}{}
				}
			}
			_, dup = seen[key]
			seen[key] = struct{}{}
		}
		if dup {
			return fmt.Errorf("%s: key %s appears twice", where(path), strconv.Quote(cutKey(key)))
		}
		c, err := d.skipSpace()
		if err != nil {
			return err
		}
		v, err := d.cell(c, depth, append(path, key))
		if err != nil {
			return err
		}
		keys, vals = append(keys, key), append(vals, v)
		// A cell in a column store: its slot (the name is the column's).
		return d.charge(24)
	})
	if err != nil {
		return nil, err
	}
	d.rowKeys, d.rowVals = keys, vals
	if err := d.o.Row(path[1], path[2], keys, vals); err != nil {
		return nil, err
	}
	clear(vals)
	return taken, nil
}

// cell is one row value as a Go value (first byte c).
func (d *decoder) cell(c byte, depth int, path []string) (any, error) {
	switch {
	case c == '"':
		s, err := d.shortStr()
		if err != nil {
			return nil, err
		}
		return s, d.charge(len(s) + 16)
	case c == '-' || (c >= '0' && c <= '9'):
		v, err := d.number(c)
		if err != nil {
			return nil, err
		}
		s := string(v.(ast.Number))
		if i, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(i, 10) == s {
			return i, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
		return s, nil // out of float64's range: kept as its text
	case c == 't':
		return true, d.literal("rue")
	case c == 'f':
		return false, d.literal("alse")
	case c == 'n':
		return nil, d.literal("ull")
	}
	// Composite: the snapshot's checks refuse it with its place named.
	v, err := d.valueAt(c, depth, path)
	if err != nil {
		return nil, err
	}
	return ast.JSON(v)
}

// shortStr is str with short strings (column names, states, types) shared
// through a small direct-mapped cache: repeated texts cost no allocation,
// and a column of distinct names costs no map growing with it.
func (d *decoder) shortStr() (string, error) {
	s, err := d.strBytes()
	if err != nil || len(s) > 16 {
		return string(s), err
	}
	h := uint32(2166136261)
	for _, c := range s {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &d.shortStrs[h%uint32(len(d.shortStrs))]
	if *slot != string(s) {
		*slot = string(s)
	}
	return *slot, nil
}

func (d *decoder) array(depth int, path []string) (ast.Value, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels at %s", MaxDepth, where(path))
	}
	var elems []*ast.Term
	c, err := d.skipSpace()
	if err != nil {
		return nil, err
	}
	inner := append(path, "[]")
	if c != ']' {
		for {
			v, err := d.valueAt(c, depth, inner)
			if err != nil {
				return nil, err
			}
			elems = append(elems, ast.NewTerm(v))
			if err := d.charge(48); err != nil {
				return nil, err
			}
			if c, err = d.skipSpace(); err != nil {
				return nil, err
			}
			if c == ']' {
				break
			}
			if c != ',' {
				return nil, syntaxf("invalid character %q after an array element", c)
			}
			if c, err = d.skipSpace(); err != nil {
				return nil, err
			}
		}
	}
	return ast.NewArray(elems...), nil
}

func (d *decoder) strTerm(s string) *ast.Term {
	if len(s) > 16 {
		return ast.StringTerm(s)
	}
	t, ok := d.short[s]
	if !ok {
		t = ast.StringTerm(s)
		d.short[s] = t
	}
	return t
}

// str reads a string after its opening quote, as encoding/json decodes it:
// escapes resolved, invalid UTF-8 and lone surrogates become U+FFFD.
func (d *decoder) str() (string, error) {
	b, err := d.strBytes()
	return string(b), err
}

// strBytes is str's text in the decoder's buffer, valid until the next read.
func (d *decoder) strBytes() ([]byte, error) {
	d.buf = d.buf[:0]
	valid := true
	for {
		// The run of plain bytes already buffered is copied in one go.
		chunk, _ := d.r.Peek(d.r.Buffered())
		i := 0
		for ; i < len(chunk); i++ {
			c := chunk[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c >= utf8.RuneSelf {
				valid = false
			}
		}
		if i > 0 {
			d.buf = append(d.buf, chunk[:i]...)
			d.r.Discard(i)
			d.off += int64(i)
			if len(d.buf) > MaxString {
				return nil, fmt.Errorf("%w: a string longer than %d MiB", ErrTooLarge, MaxString>>20)
			}
		}
		c, err := d.next()
		if err != nil {
			return nil, err
		}
		switch {
		case c == '"':
			if valid && utf8.Valid(d.buf) {
				return d.buf, nil
			}
			return []byte(validEach(d.buf)), nil
		case c == '\\':
			if err := d.escape(); err != nil {
				return nil, err
			}
		case c < 0x20:
			return nil, syntaxf("invalid character %q in a string", c)
		default:
			if c >= utf8.RuneSelf {
				valid = false // checked once at the end
			}
			d.buf = append(d.buf, c)
		}
		if d.o.MaxDecoded > 0 && int64(len(d.buf)) > d.o.MaxDecoded {
			return nil, ErrTooLarge
		}
		if len(d.buf) > MaxString {
			return nil, fmt.Errorf("%w: a string longer than %d MiB", ErrTooLarge, MaxString>>20)
		}
	}
}

func (d *decoder) escape() error {
	c, err := d.next()
	if err != nil {
		return err
	}
	switch c {
	case '"', '\\', '/':
		d.buf = append(d.buf, c)
	case 'b':
		d.buf = append(d.buf, '\b')
	case 'f':
		d.buf = append(d.buf, '\f')
	case 'n':
		d.buf = append(d.buf, '\n')
	case 'r':
		d.buf = append(d.buf, '\r')
	case 't':
		d.buf = append(d.buf, '\t')
	case 'u':
		r, err := d.hex4()
		if err != nil {
			return err
		}
		if utf16.IsSurrogate(r) {
			// A pair is two escapes; a half without its other half is
			// U+FFFD and what follows is read on its own.
			r2 := rune(-1)
			if p, _ := d.r.Peek(6); len(p) == 6 && p[0] == '\\' && p[1] == 'u' {
				if v, err := strconv.ParseUint(string(p[2:6]), 16, 32); err == nil {
					r2 = rune(v)
				}
			}
			if dec := utf16.DecodeRune(r, r2); r2 >= 0 && dec != utf8.RuneError {
				d.r.Discard(6)
				d.off += 6
				r = dec
			} else {
				r = utf8.RuneError
			}
		}
		d.buf = utf8.AppendRune(d.buf, r)
	default:
		return syntaxf("invalid escape %q in a string", c)
	}
	return nil
}

func (d *decoder) hex4() (rune, error) {
	var r rune
	for i := 0; i < 4; i++ {
		c, err := d.next()
		if err != nil {
			return 0, err
		}
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, syntaxf("invalid \\u escape in a string")
		}
	}
	return r, nil
}

// number reads a JSON number (first byte c) and keeps its text, as
// encoding/json's UseNumber does.
func (d *decoder) number(c byte) (ast.Value, error) {
	d.buf = append(d.buf[:0], c)
	for {
		p, err := d.r.Peek(1)
		if err != nil || !numberByte(p[0]) {
			break
		}
		d.next()
		d.buf = append(d.buf, p[0])
		if len(d.buf) > 64 {
			return nil, syntaxf("number longer than 64 characters")
		}
	}
	s := string(d.buf)
	if !validNumber(s) {
		return nil, syntaxf("invalid number")
	}
	if err := d.charge(len(s) + 32); err != nil {
		return nil, err
	}
	if t := ast.InternedIntNumberTermFromString(s); t != nil {
		return t.Value, nil
	}
	return ast.Number(s), nil
}

func numberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// validNumber is JSON's number grammar.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

func cutKey(k string) string {
	if r := []rune(k); len(r) > 64 {
		return string(r[:63]) + "…"
	}
	return k
}

// validEach replaces each byte that is not part of valid UTF-8 with U+FFFD,
// as encoding/json does when it decodes a string.
func validEach(b []byte) string {
	var out []byte
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return string(out)
}
