package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/csv"
	htmlreport "github.com/csaudit/csaudit/report/html"
	"github.com/csaudit/csaudit/report/junit"
	pdfreport "github.com/csaudit/csaudit/report/pdf"
	"github.com/csaudit/csaudit/report/prom"
	"github.com/csaudit/csaudit/report/sarif"
	"github.com/csaudit/csaudit/report/table"
)

// SnapshotFile is the evidence written beside the reports.
const SnapshotFile = "csaudit-snapshot.json.gz"

// Format is one --format name: where it goes and what renders it. The
// Formats table drives help text and validation.
type Format struct {
	Name  string
	File  string // written under --out; "" means stdout (the terminal table)
	write func(io.Writer, *report.Report) error
}

// Formats lists every output format.
var Formats = []Format{
	{Name: "table"},
	{Name: "json", File: "csaudit-report.json", write: report.WriteJSON},
	{Name: "html", File: "csaudit-report.html", write: htmlreport.Write},
	{Name: "pdf", File: "csaudit-report.pdf", write: pdfreport.Write},
	{Name: "csv", File: "csaudit-report.csv", write: csv.Write},
	{Name: "junit", File: "csaudit-report.junit.xml", write: junit.Write},
	{Name: "sarif", File: "csaudit-report.sarif", write: sarif.Write},
	{Name: "prom", File: "csaudit-report.prom", write: prom.Write},
}

// FormatNames is the comma list of format names, for help texts.
func FormatNames() string {
	var names []string
	for _, f := range Formats {
		names = append(names, f.Name)
	}
	return strings.Join(names, ",")
}

// Output is what a command writes: formats, and the directory for the ones
// that are files. A lone json without a directory goes to stdout.
type Output struct {
	Formats []Format
	Dir     string
	// Seal, when set, sees every rendered file before anything is written
	// and may add files (a signed run's manifest and signature), so they are
	// part of the same all-or-nothing write.
	Seal func(files map[string][]byte) error
}

// ParseOutput validates a comma list of formats against the directory:
// unknown names, and file formats without a directory, are errors.
func ParseOutput(list, dir string) (Output, error) {
	var out []Format
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(strings.ToLower(n))
		if n == "" {
			continue
		}
		i := slices.IndexFunc(Formats, func(f Format) bool { return f.Name == n })
		if i < 0 {
			return Output{}, fmt.Errorf("--format: unknown format %q (known: %s)", n, FormatNames())
		}
		if !slices.ContainsFunc(out, func(f Format) bool { return f.Name == n }) {
			out = append(out, Formats[i])
		}
	}
	if len(out) == 0 {
		return Output{}, errors.New("--format: no format named")
	}
	o := Output{Formats: out, Dir: dir}
	if files := o.files(); dir == "" && len(files) > 0 && !(len(files) == 1 && files[0] == "json") {
		return Output{}, fmt.Errorf("--out DIR is required for --format %s", strings.Join(files, ","))
	}
	return o, nil
}

func (o Output) files() []string {
	var names []string
	for _, f := range o.Formats {
		if f.File != "" {
			names = append(names, f.Name)
		}
	}
	return names
}

// WriteEvidence is Write for a run that evaluated a snapshot: with a
// directory, the snapshot (raw, its exact JSON) is written beside the reports,
// compressed, and the report names it.
func WriteEvidence(env Env, r *report.Report, o Output, raw []byte) error {
	var extra map[string][]byte
	if o.Dir != "" {
		r.Snapshot.File = SnapshotFile
		extra = map[string][]byte{SnapshotFile: raw}
	}
	return Write(env, r, o, extra)
}

// Write renders every format into memory first, then writes the files (and
// extra, e.g. the snapshot) into the directory all or nothing, and only then
// prints the table (and a lone json) to env.Stdout.
func Write(env Env, r *report.Report, o Output, extra map[string][]byte) error {
	files := map[string][]byte{}
	for name, b := range extra {
		files[name] = b
	}
	stdoutJSON := false
	for _, f := range o.Formats {
		if f.File == "" {
			continue
		}
		if o.Dir == "" {
			stdoutJSON = true // ParseOutput allowed only a lone json here
			continue
		}
		var buf strings.Builder
		if err := f.write(&buf, r); err != nil {
			return fmt.Errorf("render %s: %w", f.Name, err)
		}
		files[f.File] = []byte(buf.String())
	}
	if len(files) > 0 {
		if o.Dir == "" {
			return errors.New("--out DIR is required")
		}
		if o.Seal != nil {
			if err := o.Seal(files); err != nil {
				return err
			}
		}
		if err := WriteAll(o.Dir, files); err != nil {
			return err
		}
	}
	for _, f := range o.Formats {
		switch {
		case f.Name == "table":
			if err := table.WriteOptions(env.Stdout, r, table.Options{Color: env.Color}); err != nil {
				return err
			}
		case f.Name == "json" && stdoutJSON:
			if err := report.WriteJSON(env.Stdout, r); err != nil {
				return err
			}
		}
	}
	return nil
}

const tmpPattern = ".csaudit-out-*"

// leftoverAge is how old a temporary directory must be before a run takes it
// for a killed run's: a concurrent run's own is seconds old.
const leftoverAge = 10 * time.Minute

// removeLeftovers removes the temporary directories that killed runs left in
// dir.
func removeLeftovers(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, tmpPattern))
	for _, p := range old {
		if st, err := os.Lstat(p); err == nil && st.IsDir() && time.Since(st.ModTime()) > leftoverAge {
			os.RemoveAll(p)
		}
	}
}

// WriteAll puts every file into dir or none of them. The files are written
// (and synced) in a temporary directory inside dir, each target is checked to
// be replaceable, and only then are they renamed into place; should a rename
// still fail, the ones already moved are put back as they were. A dir this
// call created is removed again on failure.
func WriteAll(dir string, files map[string][]byte) (err error) {
	created := false
	if _, statErr := os.Stat(dir); os.IsNotExist(statErr) {
		created = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	removeLeftovers(dir)
	tmp, err := os.MkdirTemp(dir, tmpPattern)
	if err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	defer func() {
		os.RemoveAll(tmp)
		if err != nil && created {
			os.Remove(dir) // only succeeds when empty
		}
	}()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := collectors.WriteFileAtomic(filepath.Join(tmp, name), files[name], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
		target := filepath.Join(dir, name)
		if st, err := os.Lstat(target); err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("write %s: exists and is not a regular file; nothing was written to %s", target, dir)
		}
	}
	// Previous versions are kept as hard links until every rename succeeded.
	type moved struct{ name, backup string }
	var done []moved
	for _, name := range names {
		target := filepath.Join(dir, name)
		backup := ""
		if _, err := os.Lstat(target); err == nil {
			backup = filepath.Join(tmp, name+".previous")
			if err := os.Link(target, backup); err != nil {
				backup = "" // no hard links here: the old file is replaced without a copy
			}
		}
		if err := os.Rename(filepath.Join(tmp, name), target); err != nil {
			for i := len(done) - 1; i >= 0; i-- {
				t := filepath.Join(dir, done[i].name)
				if done[i].backup != "" {
					os.Rename(done[i].backup, t)
				} else {
					os.Remove(t)
				}
			}
			return fmt.Errorf("write %s: %w; nothing was written to %s", target, err, dir)
		}
		done = append(done, moved{name, backup})
	}
	return nil
}
