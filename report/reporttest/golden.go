package reporttest

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/report"
)

// UpdateFlag is declared by each test package that uses Golden, as
//
//	var _ = flag.Bool("update", false, reporttest.UpdateFlag)
//
// rather than here, so a package with its own -update flag can still import
// this one without a "flag redefined" panic.
const UpdateFlag = "rewrite golden files under testdata/"

// Golden compares got with testdata/name, or rewrites the file under -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// Render runs a renderer over r and fails the test on an error.
func Render(t testing.TB, write func(io.Writer, *report.Report) error, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
