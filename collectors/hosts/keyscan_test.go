package hosts

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// Keyscan output is a known_hosts file the collector then accepts.
func TestKeyscanRoundTrip(t *testing.T) {
	h := startHost(t, testbed.HostConfig{})
	free, _ := testbed.FreePort()
	targets := []collectors.Target{
		{UUID: "h", Name: "h", Address: h.Addr, Hypervisor: "KVM"},
		{UUID: "down", Name: "down", Address: "127.0.0.1:" + strconv.Itoa(free), Hypervisor: "KVM"},
	}
	lines, errs := sshpool.Keyscan(context.Background(), nil, targets)
	if len(lines) != 1 || !strings.Contains(lines[0], h.HostKey.Type()) {
		t.Fatalf("lines = %v", lines)
	}
	if len(errs) != 1 || errs[0].Target != "down" {
		t.Fatalf("errs = %+v", errs)
	}
	kh := t.TempDir() + "/known_hosts"
	if err := os.WriteFile(kh, []byte(sshpool.KeyscanText(lines)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sshConfig(h)
	cfg.SSH.KnownHosts = kh
	p, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if part := collectOne(t, p, h.Addr); part.Hosts["h"] == nil {
		t.Fatalf("scanned key not accepted: %+v", part.Errors)
	}
	if !strings.Contains(lines[0], strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.HostKey)))) {
		t.Error("scanned key differs from the host's key")
	}
}

func TestSudoersCoversPrivilegedCommands(t *testing.T) {
	s := Sudoers("csaudit")
	for _, want := range []string{"/usr/sbin/iptables-save", "nft -j list ruleset", `\[\[\:space\:\]\]\*`, "/usr/bin/stat -c %a %U %G %n /root/.ssh/id_rsa.cloud",
		"csaudit ALL=(root) NOPASSWD: CSAUDIT_READ"} {
		if !strings.Contains(s, want) {
			t.Errorf("sudoers lacks %q:\n%s", want, s)
		}
	}
	// Every privileged command in the script goes through r().
	if n := strings.Count(standard.script, "r iptables-save") + strings.Count(standard.script, "r ip6tables-save") + strings.Count(standard.script, "r nft") +
		strings.Count(standard.script, "r grep") + strings.Count(standard.script, "r stat") + strings.Count(standard.script, "r test"); n != 6 {
		t.Errorf("script has %d known r() calls, sudoers covers 6 kinds", n)
	}
}
