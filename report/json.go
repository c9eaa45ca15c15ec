package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// MaxReportBytes caps a report read back for re-rendering.
const MaxReportBytes = 512 << 20

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// DecodeJSON checks the envelope and decodes a report.
func DecodeJSON(b []byte) (*Report, error) {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		return nil, errors.New("a gzip file, not a JSON report (a saved snapshot? give csaudit-report.json)")
	}
	var env struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("not a JSON report: %w", err)
	}
	switch {
	case env.Schema != nil && strings.HasPrefix(*env.Schema, "csaudit.snapshot/"):
		return nil, errors.New("a csaudit snapshot, not a report: give csaudit-report.json (or evaluate the snapshot with csaudit audit --snapshot)")
	case env.Schema == nil:
		return nil, errors.New(`no "schema" field: not a csaudit report`)
	case *env.Schema != SchemaVersion:
		return nil, fmt.Errorf("report version %q is not supported (this csaudit reads %s)", *env.Schema, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("malformed report: %w", err)
	}
	r.recount()
	return &r, nil
}

// LoadJSON reads a saved report. Errors name the file.
func LoadJSON(path string) (*Report, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxReportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	if len(b) > MaxReportBytes {
		return nil, fmt.Errorf("report %s: larger than %d bytes", path, MaxReportBytes)
	}
	r, err := DecodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	return r, nil
}

// openRegular opens a file for reading and refuses anything but a regular
// file (a FIFO would block the run), without blocking on a FIFO.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: errors.New("not a regular file")}
	}
	return f, nil
}
