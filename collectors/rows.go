package collectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Kind tells Rows how to store one column. A value that does not fit the
// kind (an unsigned overflow in an integer column, say) turns the column into
// one that keeps values as given, so nothing is ever lost or changed.
type Kind uint8

const (
	// KindAuto stores a column by the Go type of its first non-null value.
	KindAuto Kind = iota
	KindInt
	KindFloat
	KindBool
	// KindTime is a UTC wall-clock time to the second, set as the decimal
	// number YYYYMMDDhhmmss (SetTime) and read as "YYYY-MM-DDThh:mm:ssZ".
	KindTime
	// KindEnum holds strings with few distinct values, each stored once.
	KindEnum
	KindString
	kindAny // mixed or other Go types, kept as given
)

// Rows stores table rows column by column: a 100,000-VM table costs a few
// bytes per value instead of a Go map per row. The collector that reads a
// table adds rows (Add) and sets their cells; everyone else reads them through
// Row. Reading is safe from many goroutines once writing has finished.
type Rows struct {
	cols   []*column
	byName map[string]int
	sorted []int // column indexes ordered by name: the JSON key order
	n      int
	text   strings.Builder // string cells are copied here, in large chunks
	// gaps counts cells stored only to reach a later value of their column
	// (rows before it lacking the column): see Sparse.
	gaps int
	// checked and encErr cache Encodable: a store is checked once, after
	// writing has finished.
	checked sync.Once
	encErr  error
}

type column struct {
	name   string
	key    []byte // `"name":`
	kind   Kind
	n      int  // cells stored; rows at or past n lack the column
	null   bits // the cell is null
	absent bits // the row lacks the column (rows built from maps)
	ints   []int64
	floats []float64
	bools  bits
	codes  []uint16 // KindEnum: index into dict
	dict   []string
	codeOf map[string]uint16
	strs   []string
	anys   []any
}

// Column declares a column of NewRows.
type Column struct {
	Name string
	Kind Kind
}

// NewRows returns an empty store with cols declared in order; SetX(i, …)
// addresses cols[i]. Columns not declared are added by AddMap.
func NewRows(cols ...Column) *Rows {
	rs := &Rows{byName: make(map[string]int, len(cols))}
	for _, c := range cols {
		rs.column(c.Name, c.Kind)
	}
	return rs
}

// column returns the index of the column called name, adding it if needed.
func (rs *Rows) column(name string, k Kind) int {
	if i, ok := rs.byName[name]; ok {
		return i
	}
	c := &column{name: name, kind: k, key: append(appendJSONString(nil, name), ':')}
	if k == KindEnum {
		c.codeOf = map[string]uint16{}
	}
	i := len(rs.cols)
	rs.cols = append(rs.cols, c)
	rs.byName[name] = i
	at, _ := slices.BinarySearchFunc(rs.sorted, name, func(j int, n string) int { return strings.Compare(rs.cols[j].name, n) })
	rs.sorted = slices.Insert(rs.sorted, at, i)
	return i
}

// Add appends a row with no cells yet; set them with the Row's Set methods.
func (rs *Rows) Add() Row {
	rs.n++
	return Row{rs: rs, i: int32(rs.n - 1)}
}

// AddMap appends a row holding m's columns and values, as given.
func (rs *Rows) AddMap(m map[string]any) Row {
	r := rs.Add()
	for k, v := range m {
		rs.addCell(r, k, v)
	}
	return r
}

func (rs *Rows) addCell(r Row, k string, v any) {
	c := rs.cols[rs.column(k, KindAuto)]
	if gap := int(r.i) - c.n; gap > 0 {
		rs.gaps += gap
	}
	c.set(rs, int(r.i), v)
}

// RowOf returns a row holding m's columns and values (for hand-built tables).
func RowOf(m map[string]any) Row { return NewRows().AddMap(m) }

// copyText keeps b in the store's text chunks: one allocation per 64 KiB
// instead of one per value. strings.Builder only ever appends, so a string
// taken from it never changes.
func (rs *Rows) copyText(b []byte) string {
	const chunk = 64 << 10
	if len(b) == 0 {
		return ""
	}
	if len(b) > chunk/16 {
		return string(b)
	}
	if rs.text.Cap()-rs.text.Len() < len(b) {
		rs.text.Reset()
		rs.text.Grow(chunk)
	}
	start := rs.text.Len()
	rs.text.Write(b)
	return rs.text.String()[start:]
}

// Row is one row of a Rows: a handle, cheap to copy. The zero Row has no
// columns. Values are strings, int64, float64, bool or nil as the database
// collector stores them (rows built from maps or decoded from JSON hold what
// they were given: float64 for JSON numbers).
type Row struct {
	rs *Rows
	i  int32
}

// Get is a column's value: nil when it is null or the row lacks it.
func (r Row) Get(col string) any {
	v, _ := r.Lookup(col)
	return v
}

// Lookup is a column's value and whether the row has the column at all.
func (r Row) Lookup(col string) (any, bool) {
	if r.rs == nil {
		return nil, false
	}
	i, ok := r.rs.byName[col]
	if !ok {
		return nil, false
	}
	return r.rs.cols[i].value(int(r.i))
}

// Text is a column's value as text: "" for NULL or a missing column, numbers in
// their decimal form.
func (r Row) Text(col string) string { return Text(r.Get(col)) }

// All yields the row's columns and values in name order.
func (r Row) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if r.rs == nil {
			return
		}
		for _, ci := range r.rs.sorted {
			c := r.rs.cols[ci]
			if v, ok := c.value(int(r.i)); ok && !yield(c.name, v) {
				return
			}
		}
	}
}

// Map copies the row into a map (for tests and tools that want one).
func (r Row) Map() map[string]any {
	if r.rs == nil {
		return nil
	}
	return maps.Collect(r.All())
}

// Set stores v (nil for null) in column col of the row. The SetX methods
// below do the same without boxing.
func (r Row) Set(col int, v any) { r.rs.cols[col].set(r.rs, int(r.i), v) }

// SetNull stores null in column col.
func (r Row) SetNull(col int) {
	c := r.rs.cols[col]
	c.place(int(r.i))
	c.clear(int(r.i))
	c.null.set(int(r.i))
}

// SetInt stores an integer in column col.
func (r Row) SetInt(col int, v int64) {
	if c := r.rs.cols[col]; c.kind == KindInt && c.n == int(r.i) {
		c.ints = append(c.ints, v)
		c.n++
		return
	}
	r.Set(col, v)
}

// SetFloat stores a float in column col.
func (r Row) SetFloat(col int, v float64) {
	if c := r.rs.cols[col]; c.kind == KindFloat && c.n == int(r.i) {
		c.floats = append(c.floats, v)
		c.n++
		return
	}
	r.Set(col, v)
}

// SetBool stores a boolean in column col.
func (r Row) SetBool(col int, v bool) {
	if c := r.rs.cols[col]; c.kind == KindBool && c.n == int(r.i) {
		if v {
			c.bools.set(c.n)
		}
		c.n++
		return
	}
	r.Set(col, v)
}

// SetTime stores a KindTime value, YYYYMMDDhhmmss as a decimal number.
func (r Row) SetTime(col int, ymdhms int64) {
	c := r.rs.cols[col]
	if c.kind != KindTime {
		r.Set(col, string(appendTime(nil, ymdhms)))
		return
	}
	c.place(int(r.i))
	c.ints[r.i] = ymdhms
}

// SetBytes stores b as a string in column col (copied; b may be reused).
func (r Row) SetBytes(col int, b []byte) {
	c := r.rs.cols[col]
	switch {
	case c.kind == KindEnum:
		if code, ok := c.codeOf[string(b)]; ok { // no allocation for the lookup
			c.place(int(r.i))
			c.codes[r.i] = code
			return
		}
	case c.kind == KindString && c.n == int(r.i):
		c.strs = append(c.strs, r.rs.copyText(b))
		c.n++
		return
	}
	c.set(r.rs, int(r.i), r.rs.copyText(b))
}

// MarshalJSON encodes the row as encoding/json encodes a map[string]any with
// the same entries: keys sorted, null for nil.
func (r Row) MarshalJSON() ([]byte, error) {
	return r.appendJSON(nil)
}

// UnmarshalJSON decodes a JSON object (JSON null gives the zero Row).
func (r *Row) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*r = Row{}
	if m != nil {
		*r = RowOf(m)
	}
	return nil
}

// JSONSchemaAlias gives schema generators the row's JSON shape.
func (Row) JSONSchemaAlias() any { return rowJSON(nil) }

// rowJSON is the JSON shape of a Row: an object of column values.
type rowJSON map[string]any

func (r Row) appendJSON(dst []byte) ([]byte, error) {
	if r.rs == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '{')
	first := true
	for _, ci := range r.rs.sorted {
		c := r.rs.cols[ci]
		i := int(r.i)
		if i >= c.n || c.absent.get(i) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, c.key...)
		var err error
		if dst, err = c.appendJSON(dst, i); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// MarshalJSON encodes the table as encoding/json encodes the map itself (ids
// sorted as strings), writing the rows straight from their columns.
func (t Table) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	keys := slices.Sorted(maps.Keys(t))
	dst := make([]byte, 0, 64+len(keys)*256)
	dst = append(dst, '{')
	for n, k := range keys {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendJSONString(dst, k), ':')
		var err error
		if dst, err = t[k].appendJSON(dst); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// UnmarshalJSON decodes a table whose rows share one columnar store, so a
// large saved snapshot does not cost a map per row.
func (t *Table) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*t = nil
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("collectors.Table: not a JSON object")
	}
	rs := NewRows()
	out := Table{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := kt.(string)
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return err
		}
		if m == nil {
			out[key] = Row{}
			continue
		}
		out[key] = rs.AddMap(m)
		if err := rs.Sparse(); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	*t = out
	return nil
}

// value is cell i and whether the row has it.
func (c *column) value(i int) (any, bool) {
	if i >= c.n || c.absent.get(i) {
		return nil, false
	}
	if c.null.get(i) {
		return nil, true
	}
	switch c.kind {
	case KindInt:
		return c.ints[i], true
	case KindFloat:
		return c.floats[i], true
	case KindBool:
		return c.bools.get(i), true
	case KindTime:
		return string(appendTime(nil, c.ints[i])), true
	case KindEnum:
		return c.dict[c.codes[i]], true
	case KindString:
		return c.strs[i], true
	case kindAny:
		return c.anys[i], true
	}
	return nil, true
}

// place makes cell i exist (rows skipped on the way lack the column) and
// marks it present and not null.
func (c *column) place(i int) {
	for c.n <= i {
		switch c.kind {
		case KindInt, KindTime:
			c.ints = append(c.ints, 0)
		case KindFloat:
			c.floats = append(c.floats, 0)
		case KindEnum:
			c.codes = append(c.codes, 0)
		case KindString:
			c.strs = append(c.strs, "")
		case kindAny:
			c.anys = append(c.anys, nil)
		}
		if c.n < i {
			c.absent.set(c.n)
		}
		c.n++
	}
	c.absent.unset(i)
	c.null.unset(i)
}

// clear drops what cell i held, so an overwritten value is not kept.
func (c *column) clear(i int) {
	switch c.kind {
	case KindInt, KindTime:
		c.ints[i] = 0
	case KindFloat:
		c.floats[i] = 0
	case KindBool:
		c.bools.unset(i)
	case KindString:
		c.strs[i] = ""
	case kindAny:
		c.anys[i] = nil
	}
}

// set stores any value in cell i, changing the column's storage when the
// value's type does not fit it.
func (c *column) set(rs *Rows, i int, v any) {
	if v == nil {
		c.place(i)
		c.clear(i)
		c.null.set(i)
		return
	}
	want := kindAny
	switch v.(type) {
	case int64:
		want = KindInt
	case float64:
		want = KindFloat
	case bool:
		want = KindBool
	case string:
		want = KindString
		if c.kind == KindEnum {
			want = KindEnum
		}
	}
	if c.kind == KindAuto {
		c.become(want)
	} else if c.kind != want && c.kind != kindAny {
		c.toAny()
	}
	c.place(i)
	switch c.kind {
	case KindInt:
		c.ints[i] = v.(int64)
	case KindFloat:
		c.floats[i] = v.(float64)
	case KindBool:
		if v.(bool) {
			c.bools.set(i)
		} else {
			c.bools.unset(i)
		}
	case KindEnum:
		s := v.(string)
		code, ok := c.codeOf[s]
		if !ok {
			if len(c.dict) > math.MaxUint16 {
				c.toStrings()
				c.strs[i] = s
				return
			}
			code = uint16(len(c.dict))
			c.dict = append(c.dict, s)
			c.codeOf[s] = code
		}
		c.codes[i] = code
	case KindString:
		c.strs[i] = v.(string)
	default:
		c.anys[i] = v
	}
}

// become gives a column of nulls so far the storage of kind k.
func (c *column) become(k Kind) {
	c.kind = k
	switch k {
	case KindInt:
		c.ints = make([]int64, c.n)
	case KindFloat:
		c.floats = make([]float64, c.n)
	case KindString:
		c.strs = make([]string, c.n)
	case kindAny:
		c.anys = make([]any, c.n)
	}
}

// toAny keeps every value as given from now on (mixed types in one column).
func (c *column) toAny() {
	anys := make([]any, c.n)
	for i := range anys {
		anys[i], _ = c.value(i)
	}
	*c = column{name: c.name, key: c.key, kind: kindAny, n: c.n, null: c.null, absent: c.absent, anys: anys}
}

// toStrings turns an enum with too many distinct values into plain strings.
func (c *column) toStrings() {
	strs := make([]string, c.n)
	for i, code := range c.codes {
		strs[i] = c.dict[code]
	}
	*c = column{name: c.name, key: c.key, kind: KindString, n: c.n, null: c.null, absent: c.absent, strs: strs}
}

func (c *column) appendJSON(dst []byte, i int) ([]byte, error) {
	if c.null.get(i) {
		return append(dst, "null"...), nil
	}
	switch c.kind {
	case KindInt:
		return strconv.AppendInt(dst, c.ints[i], 10), nil
	case KindFloat:
		return appendJSONFloat(dst, c.floats[i])
	case KindBool:
		return strconv.AppendBool(dst, c.bools.get(i)), nil
	case KindTime:
		return append(appendTime(append(dst, '"'), c.ints[i]), '"'), nil
	case KindEnum:
		return appendJSONString(dst, c.dict[c.codes[i]]), nil
	case KindString:
		return appendJSONString(dst, c.strs[i]), nil
	case kindAny:
		return appendJSONAny(dst, c.anys[i])
	}
	return append(dst, "null"...), nil
}

// appendTime renders YYYYMMDDhhmmss as YYYY-MM-DDThh:mm:ssZ.
func appendTime(dst []byte, v int64) []byte {
	var b [20]byte
	copy(b[:], "0000-00-00T00:00:00Z")
	for _, pos := range [...]int{18, 17, 15, 14, 12, 11, 9, 8, 6, 5, 3, 2, 1, 0} {
		b[pos] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:]...)
}

// appendJSONString writes s as encoding/json writes a string with HTML
// escaping off: encoding/json applies its HTML escaping to a Marshaler's
// output itself when the encoder asks for it. Invalid UTF-8 bytes become
// U+FFFD one by one, as encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029': // escaped always, as encoding/json does
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}

// appendJSONFloat writes f as encoding/json does: shortest representation,
// exponent form only below 1e-6 or from 1e21, "e-07" shortened to "e-7".
func appendJSONFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		_, err := json.Marshal(f) // the same error encoding/json gives
		return nil, err
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendJSONAny writes a value kept as given; types other than the usual
// scalars go through encoding/json (HTML escaping off, see appendJSONString).
func appendJSONAny(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendJSONString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case float64:
		return appendJSONFloat(dst, x)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// bits is a growable bit set; bits past its end are unset.
type bits []uint64

func (b bits) get(i int) bool { return i>>6 < len(b) && b[i>>6]&(1<<(i&63)) != 0 }

func (b *bits) set(i int) {
	for i>>6 >= len(*b) {
		*b = append(*b, 0)
	}
	(*b)[i>>6] |= 1 << (i & 63)
}

func (b bits) unset(i int) {
	if i>>6 < len(b) {
		b[i>>6] &^= 1 << (i & 63)
	}
}

// Encodable reports the first cell of the store JSON cannot hold (a NaN or
// infinite float, a value encoding/json refuses), naming its column: rows
// converted lazily (pipeline.Input) must not fail half-way through an
// evaluation. Only float and mixed columns are looked at.
func (r Row) Encodable() error {
	rs := r.rs
	if rs == nil {
		return nil
	}
	rs.checked.Do(func() {
		for _, c := range rs.cols {
			var err error
			switch c.kind {
			case KindFloat:
				for i, f := range c.floats {
					if (math.IsNaN(f) || math.IsInf(f, 0)) && !c.null.get(i) && !c.absent.get(i) {
						err = fmt.Errorf("column %s: %v is not a JSON number", strconv.Quote(c.name), f)
						break
					}
				}
			case kindAny:
				for i, v := range c.anys {
					if c.null.get(i) || c.absent.get(i) {
						continue
					}
					if _, err = appendJSONAny(nil, v); err != nil {
						err = fmt.Errorf("column %s: %w", strconv.Quote(c.name), err)
						break
					}
				}
			}
			if err != nil {
				rs.encErr = err
				return
			}
		}
	})
	return rs.encErr
}

// A column first set at row n stores a cell for each of the n rows before
// it: a file whose rows each bring a new column, or set one column only on
// its last row, would cost memory quadratic in its rows. Tables read from a
// file are bounded: CloudStack's widest allowlisted table has a few dozen
// columns, and every row of a table csaudit writes has all of them.
const (
	MaxColumns = 512
	maxGaps    = 1 << 16
)

// Sparse says why a store built from a file is refused: too many distinct
// columns, or too many cells stored only to reach a later row's value.
func (rs *Rows) Sparse() error {
	switch {
	case len(rs.cols) > MaxColumns:
		return fmt.Errorf("more than %d distinct columns", MaxColumns)
	case rs.gaps > maxGaps:
		return fmt.Errorf("rows lack columns other rows have (%d cells missing): not a table csaudit wrote", rs.gaps)
	}
	return nil
}

// AddCells appends a row holding the columns keys[i] with values vals[i], as
// given (a decoder's row, without a map per row).
func (rs *Rows) AddCells(keys []string, vals []any) Row {
	r := rs.Add()
	for i, k := range keys {
		rs.addCell(r, k, vals[i])
	}
	return r
}
