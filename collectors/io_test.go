package collectors

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A snapshot that is cut short, corrupt, or too large once decompressed is an
// error naming the file and what is wrong with it.
func TestLoadSnapshotBadFiles(t *testing.T) {
	dir := t.TempDir()
	b, err := NewSnapshot(Tool{Name: "csaudit"}, time.Unix(0, 0)).Encode()
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat(b, 20))
	zw.Close()
	full := gz.Bytes()
	corrupt := append([]byte{}, full...)
	corrupt[len(corrupt)-6] ^= 0xff // the CRC-32 trailer

	for _, tc := range []struct {
		name  string
		body  []byte
		limit int64
		want  string
	}{
		{"truncated.json.gz", full[:len(full)/2], MaxSnapshotBytes, "truncated or corrupt gzip: unexpected EOF"},
		{"header.json.gz", full[:5], MaxSnapshotBytes, "truncated or corrupt gzip"},
		{"crc.json.gz", corrupt, MaxSnapshotBytes, "truncated or corrupt gzip: gzip: invalid checksum"},
		{"big.json.gz", full, 1 << 10, "larger than the 1024-byte limit once decompressed"},
		{"big.json", bytes.Repeat([]byte(" "), 2<<20), 1 << 20, "larger than the 1 MiB limit"},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, tc.body, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := loadSnapshot(p, tc.limit)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error naming the file and %q", tc.name, err, tc.want)
		}
	}
	if got := byteSize(MaxSnapshotBytes); got != "1 GiB" {
		t.Errorf("the default cap reads %q", got)
	}
}
