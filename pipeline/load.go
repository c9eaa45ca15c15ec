package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/policies"
)

// MaxDecodedSnapshot caps the memory a saved snapshot's decoded value may
// take (policies.DecodeOptions.MaxDecoded, an estimate counted while
// decoding), besides the 1 GiB cap on its decompressed bytes: a gzip bomb
// stops here, not when memory runs out.
const MaxDecodedSnapshot = 2 << 30

// maxDecoded is MaxDecodedSnapshot; tests lower it.
var maxDecoded int64 = MaxDecodedSnapshot

// saved is a snapshot file read for evaluation.
type saved struct {
	snap   *collectors.Snapshot
	in     *policies.Input
	file   []byte // the file as read (gzip or plain): the evidence to copy
	digest string // SHA-256 of the decompressed JSON
}

// loadSaved reads a snapshot file once, as a stream: decompressed, hashed
// and decoded — rows straight into the columnar tables of the Snapshot the
// report and fixes read, the rest checked as collectors.DecodeSnapshot checks
// a snapshot — and evaluated from that Snapshot as a live audit is (Input).
// A .gz file is kept as it is, to be copied into --out; a plain file is not
// held in memory: it is compressed beside the decoding. Errors name the file.
func loadSaved(path string) (*saved, error) {
	fail := func(err error) (*saved, error) { return nil, fmt.Errorf("snapshot %s: %w", path, err) }
	f, err := collectors.OpenRegular(path)
	if err != nil {
		return fail(errors.Unwrap(err))
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	if head, _ := br.Peek(2); !bytes.Equal(head, gzipMagic) {
		sv, err := decodePlain(br)
		if err != nil {
			return fail(err)
		}
		return sv, nil
	}
	// The compressed file is small; it is capped like its decompressed form.
	file, err := io.ReadAll(io.LimitReader(br, collectors.MaxSnapshotBytes+1))
	if err != nil {
		return fail(err)
	}
	if len(file) > collectors.MaxSnapshotBytes {
		return fail(fmt.Errorf("larger than the 1 GiB limit"))
	}
	sv, err := decodeSaved(file)
	if err != nil {
		return fail(err)
	}
	return sv, nil
}

var gzipMagic = []byte{0x1f, 0x8b}

// decodePlain decodes a plain JSON snapshot from r while a second goroutine
// compresses the same bytes for --out.
func decodePlain(r io.Reader) (*saved, error) {
	pr, pw := io.Pipe()
	var gz bytes.Buffer
	done := make(chan error, 1)
	go func() {
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
		_, err := io.Copy(zw, pr)
		if err == nil {
			err = zw.Close()
		}
		pr.CloseWithError(err) // unblocks the decoder should compression fail
		done <- err
	}()
	cr := &capped{r: r, left: collectors.MaxSnapshotBytes}
	sv, err := decodeFrom(io.TeeReader(cr, pw), cr, false)
	pw.Close()
	zerr := <-done
	switch {
	case errors.Is(err, errCapped):
		return nil, errors.New("larger than the 1 GiB limit")
	case err != nil:
		return nil, err
	case zerr != nil:
		return nil, fmt.Errorf("compress: %w", zerr)
	}
	sv.file = gz.Bytes()
	return sv, nil
}

// decodeSaved decodes a snapshot file's bytes (gzip or plain), kept whole as
// the evidence to copy; errors leave the file's name to the caller.
func decodeSaved(file []byte) (*saved, error) {
	var src io.Reader = bytes.NewReader(file)
	gz := bytes.HasPrefix(file, gzipMagic)
	if gz {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("truncated or corrupt gzip: %w", err)
		}
		src = zr
	}
	cr := &capped{r: src, left: collectors.MaxSnapshotBytes}
	sv, err := decodeFrom(cr, cr, gz)
	if err != nil {
		return nil, err
	}
	sv.file = file
	return sv, nil
}

// decodeFrom decodes the snapshot JSON read from src (which reads through
// cr, the capped decompressed stream) and hashes it.
func decodeFrom(src io.Reader, cr *capped, gz bool) (*saved, error) {
	fail := func(err error) (*saved, error) { return nil, err }
	h := sha256.New()
	// Rows go straight into columnar stores, one per table, as they are
	// decoded; the decoded value keeps the rest.
	sunk := rowSink{}
	v, err := policies.DecodeValue(io.TeeReader(src, h), policies.DecodeOptions{MaxDecoded: maxDecoded, FoldedField: collectors.StructField, Row: sunk.add})
	switch {
	case cr.err != nil && gz && !errors.Is(cr.err, errCapped):
		return fail(fmt.Errorf("truncated or corrupt gzip: %w", cr.err))
	case cr.err != nil:
		return fail(cr.err)
	case errors.Is(err, policies.ErrTooLarge):
		return fail(fmt.Errorf("larger than the %s limit once decoded", sizeText(maxDecoded)))
	case err != nil:
		return fail(fmt.Errorf("not a JSON snapshot: %w", err))
	}
	if gz {
		// The gzip stream must end where the JSON did: its checksum is read
		// at the end.
		if _, err := io.Copy(h, cr); err != nil || cr.err != nil {
			return fail(fmt.Errorf("truncated or corrupt gzip: %w", errors.Join(err, cr.err)))
		}
	}
	root, ok := v.(ast.Object)
	if !ok {
		return fail(errors.New("not a JSON snapshot: not a JSON object"))
	}
	doc, err := document(root, sunk)
	if err != nil {
		return fail(fmt.Errorf("malformed snapshot: %w", err))
	}
	snap, err := collectors.FromDocument(doc)
	if err != nil {
		return fail(err)
	}
	// Evaluation reads the Snapshot's own tables (Input), as a live audit
	// does: the saved file and the snapshot it was written from evaluate the
	// same.
	in, err := Input(snap)
	if err != nil {
		return fail(fmt.Errorf("malformed snapshot: %w", err))
	}
	return &saved{snap: snap, in: in, digest: hex.EncodeToString(h.Sum(nil))}, nil
}

// rowSink keeps each table's object rows in one columnar store.
type rowSink map[string]*sinkTable

type sinkTable struct {
	rs   *collectors.Rows
	rows collectors.Table
}

func (s rowSink) add(table, id string, keys []string, vals []any) error {
	t := s[table]
	if t == nil {
		t = &sinkTable{rs: collectors.NewRows(), rows: collectors.Table{}}
		s[table] = t
	}
	t.rows[id] = t.rs.AddCells(keys, vals)
	if err := t.rs.Sparse(); err != nil {
		return fmt.Errorf("db.%s: %w", table, err)
	}
	return nil
}

// capped passes at most left bytes and remembers the source's error.
type capped struct {
	r    io.Reader
	left int64
	err  error
}

var errCapped = errors.New("larger than the 1 GiB limit once decompressed")

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte past the cap tells a file at the cap from a larger one.
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			c.err = errCapped
			return 0, c.err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// document splits the snapshot's value for collectors.FromDocument: db
// into columnar tables — the object rows the decoder handed to sunk, the null
// rows left in the value — and the rest as JSON values.
func document(root ast.Object, sunk rowSink) (collectors.Document, error) {
	doc := collectors.Document{Top: map[string]any{}}
	var err error
	root.Foreach(func(k, v *ast.Term) {
		if err != nil {
			return
		}
		key, _ := k.Value.(ast.String)
		if key != "db" {
			var x any
			if x, err = ast.JSON(v.Value); err == nil {
				doc.Top[string(key)] = x
			}
			return
		}
		tables, ok := v.Value.(ast.Object)
		if !ok {
			if v.Value.Compare(ast.NullValue) != 0 {
				err = errors.New("db: want an object of tables")
			}
			return
		}
		doc.DB = map[string]collectors.Table{}
		tables.Foreach(func(tk, tv *ast.Term) {
			if err != nil {
				return
			}
			name := string(tk.Value.(ast.String))
			rows, ok := tv.Value.(ast.Object)
			if !ok {
				if tv.Value.Compare(ast.NullValue) != 0 {
					err = fmt.Errorf("db.%s: want an object of rows", name)
				} else {
					doc.DB[name] = nil
				}
				return
			}
			t := collectors.Table{}
			if st := sunk[name]; st != nil {
				t = st.rows
			}
			rows.Foreach(func(rk, rv *ast.Term) {
				if err != nil {
					return
				}
				id := string(rk.Value.(ast.String))
				if rv.Value.Compare(ast.NullValue) != 0 {
					err = fmt.Errorf("db.%s[%s]: want an object", name, strconv.Quote(id))
					return
				}
				t[id] = collectors.Row{}
			})
			doc.DB[name] = t
		})
	})
	return doc, err
}

func sizeText(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
