package sshpool

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestKnownHostsMatching(t *testing.T) {
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	// Keys from the testbed's ssh-keygen; only their types matter here.
	lines := "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMRW+Ta4jS0mUXUHN0bmnsD2WsMPK9VH5tRrdUnCtV5P\n" +
		"@cert-authority *.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMRW+Ta4jS0mUXUHN0bmnsD2WsMPK9VH5tRrdUnCtV5P\n" +
		"@revoked 10.0.0.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMRW+Ta4jS0mUXUHN0bmnsD2WsMPK9VH5tRrdUnCtV5P\n"
	if err := os.WriteFile(kh, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string][]string{
		"127.0.0.1:2222":      {"ssh-ed25519"},
		"127.0.0.1:22":        nil,
		"kvm1.example.org:22": knownKeys{ca: true}.hostKeyAlgorithms(),
		"10.0.0.9:22":         nil,
	} {
		k, err := lookupKnown([]string{kh}, addr)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, k.hostKeyAlgorithms(), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: %s", addr, d)
		}
	}
}
