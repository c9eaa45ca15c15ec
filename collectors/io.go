package collectors

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// MaxSnapshotBytes caps a snapshot, compressed or not, after decompression.
// The database part of a generated 100,000-VM / 2,000-host cloud encodes to
// 160 MB (13 MB gzipped; README, "Scale"), and evaluation holds the bytes,
// the decoded values and their Rego form at once, so 1 GiB leaves room for
// about six times that cloud while a hostile or mistaken file is refused
// before it exhausts memory.
const MaxSnapshotBytes = 1 << 30

// ReadLimited reads at most limit bytes and decompresses gzip input (by magic
// number, not by file name), failing when the decompressed size exceeds limit.
// Errors leave the file name to the caller.
func ReadLimited(r io.Reader, limit int64) ([]byte, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	gzipped := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("truncated or corrupt gzip: %w", err)
		}
		defer gz.Close()
		src, gzipped = gz, true
	}
	b, err := io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		if gzipped {
			return nil, fmt.Errorf("truncated or corrupt gzip: %w", err)
		}
		return nil, err
	}
	if int64(len(b)) > limit {
		if gzipped {
			return nil, fmt.Errorf("larger than the %s limit once decompressed", byteSize(limit))
		}
		return nil, fmt.Errorf("larger than the %s limit", byteSize(limit))
	}
	return b, nil
}

// byteSize writes a limit the way a person sets it: 1 GiB, 512 MiB or bytes.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d-byte", n)
}

// OpenRegular opens a file for reading and refuses anything but a regular
// file: a FIFO would block the run, a device could be read forever. The open
// does not block on a FIFO (O_NONBLOCK), and the check is on the opened file.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return f, nil
}

var errNotRegular = errors.New("not a regular file")

// ReadFileCapped reads a small local file (a key, a password, a properties
// file) of at most limit bytes. Errors say what is wrong without the path, which
// the caller adds, and never quote the content.
func ReadFileCapped(path string, limit int64) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, errors.Unwrap(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// DecodeSnapshot checks a snapshot before anything reads it: no key twice
// (ignoring case) in any object, the envelope, the shape against the schema
// (meta, coverage and the rest present and of the right types), then decodes
// it and checks every database cell. Errors name where, never a value.
func DecodeSnapshot(b []byte) (*Snapshot, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("not a JSON snapshot: %w", err)
	}
	var schema string
	if raw, ok := top["schema"]; !ok {
		return nil, errors.New(`no "schema" field: not a csaudit snapshot`)
	} else if err := json.Unmarshal(raw, &schema); err != nil || schema != SchemaVersion {
		if strings.HasPrefix(schema, "csaudit.report/") {
			return nil, errors.New("a csaudit report, not a snapshot: give csaudit-snapshot.json.gz (or re-render the report with csaudit report)")
		}
		return nil, fmt.Errorf("snapshot version %s is not supported (this csaudit reads %s)", strconv.Quote(cutKey(schema)), SchemaVersion)
	}
	if err := checkKeys(b); err != nil {
		return nil, fmt.Errorf("malformed snapshot: %w", err)
	}
	if err := validateShape(top); err != nil {
		return nil, fmt.Errorf("malformed snapshot: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("malformed snapshot: %w", err)
	}
	if err := validateCells(s.DB); err != nil {
		return nil, fmt.Errorf("malformed snapshot: %w", err)
	}
	s.fill()
	return &s, nil
}

// fill allocates maps a snapshot file left out, so consumers need no nil checks.
func (s *Snapshot) fill() {
	if s.DB == nil {
		s.DB = map[string]Table{}
	}
	if s.Settings == nil {
		s.Settings = map[string]Setting{}
	}
	if s.Hosts == nil {
		s.Hosts = map[string]*HostFacts{}
	}
	if s.OOBM == nil {
		s.OOBM = map[string]*BMCFacts{}
	}
	if s.Coverage == nil {
		s.Coverage = map[string]*Coverage{}
	}
	if s.CollectorErrors == nil {
		s.CollectorErrors = []CollectorError{}
	}
	if s.Meta.Collectors == nil {
		s.Meta.Collectors = map[string]CollectorRun{}
	}
}

// LoadSnapshot reads a snapshot file (plain or gzip) of at most
// MaxSnapshotBytes once decompressed. Errors name the file.
func LoadSnapshot(path string) (*Snapshot, []byte, error) {
	return loadSnapshot(path, MaxSnapshotBytes)
}

func loadSnapshot(path string, limit int64) (*Snapshot, []byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := ReadLimited(f, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	s, err := DecodeSnapshot(b)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return s, b, nil
}

// Encode renders the snapshot as indented JSON (map keys sorted, so stable).
func (s *Snapshot) Encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSON writes what Encode returns to w, without a copy of it kept.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	// The database is streamed table by table and row by row, indented as
	// the encoder would indent it: the encoder would hold the whole
	// document twice (encoded, then indented) — hundreds of megabytes for a
	// large cloud. Everything else goes through the encoder.
	rest := *s
	rest.DB = nil
	var head bytes.Buffer
	if err := indentEncoder(&head).Encode(&rest); err != nil {
		return err
	}
	at := bytes.Index(head.Bytes(), dbNull)
	if at < 0 {
		return errors.New("snapshot: encoding has no db field")
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.Write(head.Bytes()[:at+len(dbNull)-len("null")])
	if err := writeDB(bw, s.DB); err != nil {
		return err
	}
	bw.Write(head.Bytes()[at+len(dbNull):])
	return bw.Flush()
}

// dbNull is the db field of a snapshot without one, at the top level.
var dbNull = []byte("\n \"db\": null")

func indentEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc
}

// writeDB writes db as the snapshot's encoder does at depth 1: keys sorted,
// one space of indent per level, empty objects as {}.
func writeDB(w *bufio.Writer, db map[string]Table) error {
	if db == nil {
		w.WriteString("null")
		return nil
	}
	if len(db) == 0 {
		w.WriteString("{}")
		return nil
	}
	w.WriteString("{\n")
	var row, ind []byte
	for n, name := range slices.Sorted(maps.Keys(db)) {
		w.WriteString("  ")
		w.Write(appendJSONString(nil, name))
		w.WriteString(": ")
		t := db[name]
		switch {
		case t == nil:
			w.WriteString("null")
		case len(t) == 0:
			w.WriteString("{}")
		default:
			w.WriteString("{\n")
			for i, id := range slices.Sorted(maps.Keys(t)) {
				w.WriteString("   ")
				w.Write(appendJSONString(row[:0], id))
				w.WriteString(": ")
				var err error
				if row, err = t[id].appendJSON(row[:0]); err != nil {
					return fmt.Errorf("snapshot db.%s[%s]: %w", name, strconv.Quote(id), err)
				}
				if string(row) == "{}" || string(row) == "null" {
					w.Write(row)
				} else {
					b := bytes.NewBuffer(ind[:0])
					if err := json.Indent(b, row, "   ", " "); err != nil {
						return fmt.Errorf("snapshot db.%s[%s]: %w", name, strconv.Quote(id), err)
					}
					ind = b.Bytes()
					w.Write(ind)
				}
				if i < len(t)-1 {
					w.WriteByte(',')
				}
				w.WriteByte('\n')
			}
			w.WriteString("  }")
		}
		if n < len(db)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString(" }")
	return nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames it into
// place, so a reader never sees a half-written file. A .gz name is compressed
// unless data already is (gzip's magic number: JSON never starts with it).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	data = OnDisk(path, data)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// OnDisk is what WriteFileAtomic puts in the file at path: data itself, or
// for a .gz name its gzip compression (deterministic: no name, no time in the
// header), so a signed run's manifest can list the digest of the file as written.
func OnDisk(path string, data []byte) []byte {
	// Data already compressed (gzip's magic number: JSON never starts with
	// it) is written as it is.
	if !strings.HasSuffix(path, ".gz") || bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return data
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write(data) // writes to a bytes.Buffer do not fail
	gz.Close()
	return buf.Bytes()
}

// SHA256 is the hex digest the report carries for the snapshot it came from.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Document is a snapshot another reader decoded (policies.DecodeValue, in one
// streaming pass): every top-level member but db as JSON values (numbers as
// json.Number), and db as its tables, nil when the snapshot has none.
type Document struct {
	Top map[string]any
	DB  map[string]Table
}

// FromDocument checks a decoded snapshot as DecodeSnapshot checks its JSON —
// the envelope, the shape against the schema, every database cell — and
// returns it as a Snapshot. The reader that decoded it has refused duplicate
// keys (StructField says where case-only ones count).
func FromDocument(d Document) (*Snapshot, error) {
	schema, _ := d.Top["schema"].(string)
	if _, ok := d.Top["schema"]; !ok {
		return nil, errors.New(`no "schema" field: not a csaudit snapshot`)
	}
	if schema != SchemaVersion {
		if strings.HasPrefix(schema, "csaudit.report/") {
			return nil, errors.New("a csaudit report, not a snapshot: give csaudit-snapshot.json.gz (or re-render the report with csaudit report)")
		}
		return nil, fmt.Errorf("snapshot version %s is not supported (this csaudit reads %s)", strconv.Quote(cutKey(schema)), SchemaVersion)
	}
	inst := map[string]any{}
	for k, v := range d.Top {
		inst[k] = v
	}
	if d.DB != nil {
		shallow := map[string]any{}
		for name := range d.DB {
			shallow[name] = map[string]any{}
		}
		inst["db"] = shallow
	}
	if err := validateValues(inst); err != nil {
		return nil, fmt.Errorf("malformed snapshot: %w", err)
	}
	// The parts besides db are small: encoding/json knows their struct tags.
	b, err := json.Marshal(d.Top)
	if err != nil {
		return nil, fmt.Errorf("malformed snapshot: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("malformed snapshot: %w", err)
	}
	s.DB = d.DB
	if err := validateCells(s.DB); err != nil {
		return nil, fmt.Errorf("malformed snapshot: %w", err)
	}
	s.fill()
	return &s, nil
}

// StructField reports a lower-cased JSON key that names a field of the
// snapshot's Go types (where keys differing only in case are refused).
func StructField(lower string) bool {
	_, ok := structFields()[lower]
	return ok
}
