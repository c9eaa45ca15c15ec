package pipeline

import (
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
// and decoded straight into the Rego value and its index in one pass
// (policies.ReadInput), then checked as collectors.DecodeSnapshot checks a
// snapshot and turned into the Snapshot the report and fixes read — db rows
// into columnar tables, nothing else kept. Errors name the file.
func loadSaved(path string) (*saved, error) {
	fail := func(err error) (*saved, error) { return nil, fmt.Errorf("snapshot %s: %w", path, err) }
	f, err := collectors.OpenRegular(path)
	if err != nil {
		return fail(errors.Unwrap(err))
	}
	defer f.Close()
	// The file itself is kept (compressed, it is small) to be copied into
	// --out; it is capped like its decompressed form.
	file, err := io.ReadAll(io.LimitReader(f, collectors.MaxSnapshotBytes+1))
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

// decodeSaved decodes a snapshot file's bytes (gzip or plain); errors leave
// the file's name to the caller.
func decodeSaved(file []byte) (*saved, error) {
	fail := func(err error) (*saved, error) { return nil, err }
	var err error
	var src io.Reader = bytes.NewReader(file)
	gz := bytes.HasPrefix(file, []byte{0x1f, 0x8b})
	var zr *gzip.Reader
	if gz {
		if zr, err = gzip.NewReader(src); err != nil {
			return fail(fmt.Errorf("truncated or corrupt gzip: %w", err))
		}
		src = zr
	}
	cr := &capped{r: src, left: collectors.MaxSnapshotBytes}
	h := sha256.New()
	in, err := policies.ReadInput(io.TeeReader(cr, h), policies.DecodeOptions{MaxDecoded: maxDecoded, FoldedField: collectors.StructField})
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
	doc, err := document(in.Value.(ast.Object))
	if err != nil {
		return fail(fmt.Errorf("malformed snapshot: %w", err))
	}
	snap, err := collectors.FromDocument(doc)
	if err != nil {
		return fail(err)
	}
	return &saved{snap: snap, in: in, file: file, digest: hex.EncodeToString(h.Sum(nil))}, nil
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

// document splits the snapshot's value for collectors.FromDocument: db into
// columnar tables (numbers as float64, as encoding/json decodes them into a
// row), the rest as JSON values.
func document(root ast.Object) (collectors.Document, error) {
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
			rs := collectors.NewRows()
			t := collectors.Table{}
			rows.Foreach(func(rk, rv *ast.Term) {
				if err != nil {
					return
				}
				id := string(rk.Value.(ast.String))
				if rv.Value.Compare(ast.NullValue) == 0 {
					t[id] = collectors.Row{}
					return
				}
				cells, ok := rv.Value.(ast.Object)
				if !ok {
					err = fmt.Errorf("db.%s[%s]: want an object", name, strconv.Quote(id))
					return
				}
				m := make(map[string]any, cells.Len())
				cells.Foreach(func(ck, cv *ast.Term) {
					m[string(ck.Value.(ast.String))] = cellValue(cv.Value)
				})
				t[id] = rs.AddMap(m)
			})
			doc.DB[name] = t
		})
	})
	return doc, err
}

// cellValue is a database cell as encoding/json decodes it into a row;
// composite values (refused by the cell check) keep their JSON form.
func cellValue(v ast.Value) any {
	switch x := v.(type) {
	case ast.Null:
		return nil
	case ast.String:
		return string(x)
	case ast.Boolean:
		return bool(x)
	case ast.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return string(x)
		}
		return f
	}
	out, _ := ast.JSON(v)
	return out
}

func sizeText(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
