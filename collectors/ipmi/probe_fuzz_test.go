package ipmi

import (
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzAuthCaps feeds the passive probe's decoders any datagram a BMC (or
// anything on its address) may send. Properties: no panic; capabilities
// name only known auth types, sorted and once each; an answer is taken only
// for the request's own sequence number, and a pong only for its own tag.
func FuzzAuthCaps(f *testing.F) {
	for _, s := range []string{capPong, capHardened, capInsecure, capV15} {
		b, err := hex.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, byte(0x11))
		f.Add(b, byte(0x5a))
	}
	known := []string{"none", "md2", "md5", "password", "oem"}
	f.Fuzz(func(t *testing.T, b []byte, seq byte) {
		if parsePong(b, seq) && parsePong(b, seq+1) {
			t.Fatal("a pong taken for two tags")
		}
		c, cc, err := parseAuthCaps(b, seq)
		if err != nil {
			if c != nil || cc != 0 {
				t.Fatalf("error with capabilities or a completion code: %v %#x", c, cc)
			}
			return
		}
		if _, _, err := parseAuthCaps(b, seq+1); !errors.Is(err, errNotAuthCaps) {
			t.Fatalf("answer taken for another sequence number: %v", err)
		}
		if cc != 0 {
			if c != nil {
				t.Fatal("capabilities with a completion code")
			}
			return
		}
		if c == nil {
			t.Fatal("no capabilities, no completion code, no error")
		}
		last := -1
		for _, a := range c.AuthTypes {
			i := slices.Index(known, a)
			if i <= last {
				t.Fatalf("auth types %v: unknown, unsorted or repeated", c.AuthTypes)
			}
			last = i
		}
	})
}

// FuzzClassify feeds session failure classification any error text go-ipmi
// may return (it formats BMC answers into its texts). Properties: no panic;
// the verdict is failed or error; the detail never quotes the error text (a
// canary standing for the password is planted in it).
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"cmd: rakp1 failed with cipher suite id (3), err: RMCP+ status 0x0d",
		"cmd: RMCP+ Open Session failed with cipher suite id (3), err: RMCP+ status 0x11 expected",
		"cmd: RMCP+ Open Session failed, err: RMCP+ status 0x01",
		"cmd: rakp3 failed with cipher suite id (3), err: unexpected byte",
		"SetSessionPrivilegeLevel failed, err: completion code 0xd4",
		"read udp 127.0.0.1:623: i/o timeout",
		"connection refused",
		"rakp2 authcode not matched",
	} {
		f.Add(s, 3)
	}
	const canary = "FUZZ-CANARY-bmcpw"
	f.Fuzz(func(t *testing.T, text string, suite int) {
		for _, err := range []error{errors.New(text + " " + canary), errors.New(canary + " " + text)} {
			r := classify(err, suite)
			if r.Auth != authFailed && r.Auth != authError {
				t.Fatalf("verdict %q", r.Auth)
			}
			if strings.Contains(r.Detail, canary) || r.Detail == "" {
				t.Fatalf("detail %q quotes the error text or is empty", r.Detail)
			}
		}
	})
}
