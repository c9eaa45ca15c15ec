package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/csaudit/csaudit/fixtures/testbed"
)

// TestSSHKeyscan scans a real sshd and an unreachable address: the file holds
// the real host key, the run exits 1 and names the host that did not answer.
func TestSSHKeyscan(t *testing.T) {
	h, err := testbed.StartHost(testbed.HostConfig{Dir: t.TempDir()})
	if err != nil {
		testbed.Missing(t, err)
	}
	defer h.Proc.Stop(2e9)
	dead, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	body := "ssh:\n  user: root\n  connect_timeout: 2s\ninventory:\n" +
		"  - {name: kvm-1, address: \"" + h.Addr + "\", hypervisor: KVM}\n" +
		"  - {name: kvm-dead, address: \"127.0.0.1:" + strconv.Itoa(dead) + "\", hypervisor: KVM}\n" +
		"  - {name: xen-1, address: \"127.0.0.1:1\", hypervisor: XenServer}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "known_hosts")
	r := csaudit(t, "ssh", "keyscan", "--config", cfg, "--out", out)
	if r.code() != 1 {
		t.Fatalf("exit %d (%v), want 1 for the dead host", r.code(), r.err)
	}
	if !strings.Contains(r.stderr, "kvm-dead") || strings.Contains(r.stderr, "xen-1") {
		t.Errorf("stderr should name kvm-dead only (XenServer hosts are not scanned):\n%s", r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := string(ssh.MarshalAuthorizedKey(h.HostKey))
	if !strings.Contains(string(b), strings.TrimSpace(want)) {
		t.Errorf("known_hosts lacks the server's key %s:\n%s", want, b)
	}
	if r := csaudit(t, "ssh", "keyscan", "--config", cfg); r.code() != 2 {
		t.Errorf("without --out: exit %d", r.code())
	}
}

// TestSudoersDocUpToDate: docs/hosts.md shows exactly what
// `csaudit ssh sudoers --user csaudit` prints (-update rewrites the block).
func TestSudoersDocUpToDate(t *testing.T) {
	r := csaudit(t, "ssh", "sudoers", "--user", "csaudit")
	if r.err != nil {
		t.Fatalf("ssh sudoers: %v\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "/usr/sbin/ip6tables-save, \\\n") || !strings.HasSuffix(r.stdout, "csaudit ALL=(root) NOPASSWD: CSAUDIT_READ\n") {
		t.Errorf("unexpected drop-in:\n%s", r.stdout)
	}
	const doc = "../../docs/hosts.md"
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- sudoers:begin -->\n```sudoers\n", "```\n<!-- sudoers:end -->"
	i, j := strings.Index(string(b), begin), strings.Index(string(b), end)
	if i < 0 || j < i {
		t.Fatalf("%s: no sudoers block between %q and %q", doc, begin, end)
	}
	got := string(b[i+len(begin) : j])
	if got != r.stdout {
		if *update {
			if err := os.WriteFile(doc, []byte(string(b[:i+len(begin)])+r.stdout+string(b[j:])), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s's sudoers block differs from `csaudit ssh sudoers --user csaudit` (run with -update):\n--- doc\n%s--- command\n%s", doc, got, r.stdout)
	}
	for _, bad := range []string{"", "root,ALL", "a:b", "Name With Space", strings.Repeat("x", 33)} {
		if r := csaudit(t, "ssh", "sudoers", "--user", bad); r.code() != 2 || r.stdout != "" {
			t.Errorf("--user %q: exit %d, stdout %q", bad, r.code(), r.stdout)
		}
	}
}
