package pipeline

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/policies"
)

func gzipped(t *testing.T, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	for _, p := range parts {
		zw.Write([]byte(p))
	}
	zw.Close()
	return b.Bytes()
}

// TestLoadSavedMatchesDecodeSnapshot: the one-pass load gives the snapshot
// DecodeSnapshot gives, the input ParseInput gives and the digest of the
// JSON, from the gzip file as from the plain one.
func TestLoadSavedMatchesDecodeSnapshot(t *testing.T) {
	raw := fixtures.Lab()
	want, err := collectors.DecodeSnapshot(raw)
	if err != nil {
		t.Fatal(err)
	}
	wantIn, err := policies.ParseInput(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string][]byte{"plain": raw, "gzip": gzipped(t, string(raw))} {
		sv, err := decodeSaved(file)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, _ := want.Encode()
		b, _ := sv.snap.Encode()
		if !bytes.Equal(a, b) {
			t.Errorf("%s: snapshot differs from DecodeSnapshot's", name)
		}
		if sv.digest != collectors.SHA256(raw) {
			t.Errorf("%s: digest %s", name, sv.digest)
		}
		if sv.in.Value.Compare(wantIn.Value) != 0 || sv.in.Index.Compare(wantIn.Index) != 0 || !equalJSON(t, sv.in.Coverage, wantIn.Coverage) {
			t.Errorf("%s: input differs from ParseInput's", name)
		}
	}
}

// TestLoadSavedRefuses: what DecodeSnapshot refuses, the one-pass load
// refuses too, and a small gzip that decodes to far more than the cap is
// stopped having allocated less than twice the cap.
func TestLoadSavedRefuses(t *testing.T) {
	lab := string(fixtures.Lab())
	noCoverage := strings.Replace(lab, `"coverage":`, `"coverage_gone":`, 1)
	for _, tc := range []struct{ name, doc, want string }{
		{"no coverage", noCoverage, "malformed snapshot"},
		{"duplicate key", strings.Replace(lab, `"schema":`, `"meta": {}, "schema":`, 1), `key "meta" appears twice`},
		{"case-only field", strings.Replace(lab, `"schema":`, `"Meta": {}, "schema":`, 1), "appears twice (ignoring case)"},
		{"state not a string", `{"schema":"csaudit.snapshot/v1","meta":{"collected_at":"2026-01-01T00:00:00Z","tool":{"name":"x","version":"y"},"collectors":{}},"db":{"vm_instance":{"1":{"state":5}}},"settings":{},"hosts":{},"oobm":{},"coverage":{},"collector_errors":[]}`, "db.vm_instance[\"1\"].state: want a string or null"},
		{"report", `{"schema":"csaudit.report/v1"}`, "a csaudit report, not a snapshot"},
		{"not json", "not json", "not a JSON snapshot"},
	} {
		for _, file := range [][]byte{[]byte(tc.doc), gzipped(t, tc.doc)} {
			if _, err := decodeSaved(file); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
			}
		}
	}
	cut := gzipped(t, lab)
	if _, err := decodeSaved(cut[:len(cut)/2]); err == nil || !strings.Contains(err.Error(), "truncated or corrupt gzip") {
		t.Errorf("truncated gzip: %v", err)
	}

	defer func(old int64) { maxDecoded = old }(maxDecoded)
	maxDecoded = 64 << 20
	// About 1 MB of gzip expanding to 200 MB of numbers.
	body := strings.Repeat("1,", 1<<20)
	parts := []string{`{"schema":"csaudit.snapshot/v1","x":[`}
	for i := 0; i < 100; i++ {
		parts = append(parts, body)
	}
	bomb := gzipped(t, append(parts, "1]}")...)
	p := filepath.Join(t.TempDir(), "bomb.json.gz")
	if err := os.WriteFile(p, bomb, 0o600); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := loadSaved(p)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than the 64 MiB limit once decoded") {
		t.Fatalf("bomb (%d bytes): %v", len(bomb), err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 2*uint64(maxDecoded) {
		t.Errorf("refusing the bomb allocated %d MiB in all, more than twice the %d MiB cap", grew>>20, maxDecoded>>20)
	}
}
