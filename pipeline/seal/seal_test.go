package seal

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func newSigner(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))
}

func allowedFile(t *testing.T, body string) []AllowedSigner {
	t.Helper()
	p := filepath.Join(t.TempDir(), "allowed")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := LoadAllowedSigners(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The allowed-signers options decide: namespaces, negated principals,
// validity windows; a cert-authority line never admits a plain key.
func TestAllowedSigners(t *testing.T) {
	s, pub := newSigner(t)
	manifest := []byte(`{"schema":"csaudit.manifest/v1"}`)
	sig, err := Sign(manifest, s)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, line, identity, wantErr string
	}{
		{"listed", "auditor " + pub, "auditor", ""},
		{"any principal", "auditor,ops " + pub, "", ""},
		{"wildcard", "*@example.org " + pub, "ann@example.org", ""},
		{"csaudit namespace", `auditor namespaces="git,csaudit" ` + pub, "auditor", ""},
		{"another namespace only", `auditor namespaces="git" ` + pub, "auditor", "does not list"},
		{"negated principal", "*,!auditor " + pub, "auditor", "does not list"},
		{"expired", `auditor valid-before="20261130Z" ` + pub, "auditor", "does not list"},
		{"not yet valid", `auditor valid-after="20270101" ` + pub, "auditor", "does not list"},
		{"cert authority", "auditor cert-authority " + pub, "auditor", "does not list"},
		{"another identity", "auditor " + pub, "ops", `identity "ops"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := allowedFile(t, "# comment\n\n"+tc.line+"\n")
			who, err := CheckSignature(manifest, sig, a, tc.identity, now)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v, want an error with %q", err, tc.wantErr)
			case err == nil && len(who.Principals) == 0:
				t.Error("verified without a principal")
			}
		})
	}
	if _, err := CheckSignature(append(manifest, ' '), sig, nil, "", now); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("an edited manifest: %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(p, []byte("auditor "+pub+"\nops not-a-key\n"), 0o600)
	if _, err := LoadAllowedSigners(p); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("malformed line: %v", err)
	}
}

// The bundle digest is sha256sum's format over the sorted files, and Diff
// names what changed.
func TestBundle(t *testing.T) {
	a := NewBundle([]File{{"b.rego", Sum([]byte("b"))}, {"a.rego", Sum([]byte("a"))}})
	want := Sum([]byte(fmt.Sprintf("%s  a.rego\n%s  b.rego\n", Sum([]byte("a")), Sum([]byte("b")))))
	if a.SHA256 != want {
		t.Errorf("digest %s, want %s", a.SHA256, want)
	}
	b := NewBundle([]File{{"a.rego", Sum([]byte("A"))}, {"c.rego", Sum([]byte("c"))}})
	got := strings.Join(a.Diff(b), "; ")
	if got != "a.rego (changed); b.rego (missing); c.rego (added)" {
		t.Errorf("diff %q", got)
	}
}
