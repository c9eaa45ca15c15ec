package libvirt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fuzzCanary = "FUZZ-CANARY-d0main"

// FuzzVirsh feeds the virsh fallback's parser what a host may print.
// Properties: no panic; errors never quote the output (a canary domain line
// is planted); every domain has a 36-character UUID, a known state word,
// and a reason only from libvirt's table for that state; the result encodes
// as JSON.
func FuzzVirsh(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "virsh_fallback_testdriver.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(DomstatsMarker + "\n"))
	f.Add([]byte("6f0d2a0e-1111-4a4a-9a9a-000000000010 vm\n" + DomstatsMarker + "\nDomain: 'vm'\n state.state=9\n state.reason=99\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		doms, err := parseVirsh(b)
		if err != nil {
			if strings.Contains(err.Error(), fuzzCanary) {
				t.Fatalf("error quotes the output: %v", err)
			}
		}
		// The same output with a malformed canary line must fail without quoting it.
		bad := append([]byte(fuzzCanary+"\n"), b...)
		if _, err := parseVirsh(bad); err != nil && strings.Contains(err.Error(), fuzzCanary) {
			t.Fatalf("error quotes the output: %v", err)
		}
		if err != nil {
			return
		}
		for _, d := range doms {
			if len(d.UUID) != 36 {
				t.Fatalf("domain with UUID of %d characters", len(d.UUID))
			}
			if d.State != "unknown" && StateCode(d.State) < 0 {
				t.Fatalf("state %q is not libvirt's", d.State)
			}
			if d.Reason != "" && d.Reason != "unknown" && ReasonCode(d.State, d.Reason) < 0 {
				t.Fatalf("reason %q is not one of state %q's", d.Reason, d.State)
			}
		}
		if _, err := json.Marshal(doms); err != nil {
			t.Fatalf("domains do not encode: %v", err)
		}
	})
}
