package hosts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// As a non-root user without sudo (the testbed has none): facts that need
// privilege fail with a reason naming sudoers, the firewall is indeterminate,
// no file is reported missing, and the unprivileged facts are collected.
func TestNonRootWithoutSudo(t *testing.T) {
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	group, _ := os.ReadFile("/etc/group")
	files := kvmFiles(t)
	files["/etc/passwd"] = testbed.File{Mode: 0o644, Data: string(passwd) + "csaudit:x:1500:1500:audit:/tmp:/bin/sh\n"}
	files["/etc/group"] = testbed.File{Mode: 0o644, Data: string(group) + "csaudit:x:1500:\n"}
	// Root-only, as on a real host.
	f := files[agentProperties]
	f.Mode = 0o600
	files[agentProperties] = f
	h := startHost(t, testbed.HostConfig{Files: files})
	// sshd reads authorized_keys as the user: let uid 1500 reach it.
	for _, p := range []string{filepath.Dir(h.Dir), h.Dir, h.Dir + "/ssh", h.Dir + "/ssh/authorized_keys"} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sshConfig(h)
	cfg.SSH.User = "csaudit"
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: []collectors.Target{
		{UUID: "h", Name: "h", Address: h.Addr, Hypervisor: "KVM"}}})
	if err != nil {
		t.Fatal(err)
	}
	hf := part.Hosts["h"]
	if hf == nil {
		t.Fatalf("not collected: %+v", part.Errors)
	}
	for _, fact := range []string{FactProperties, FactFiles} {
		if r := part.Coverage[fact].Failed["h"]; !strings.Contains(r, "sudoers") {
			t.Errorf("%s: failure %q does not name sudoers", fact, r)
		}
	}
	if hf.Properties != nil || hf.Files != nil {
		t.Errorf("privileged facts invented: %+v %+v", hf.Properties, hf.Files)
	}
	for port, v := range hf.Firewall.Ports {
		if v.Verdict != VerdictIndeterminate {
			t.Errorf("port %s = %+v without privilege", port, v)
		}
	}
	if hf.Agent == nil || hf.Listeners == nil || hf.Interfaces == nil || hf.Packages == nil || hf.Cert == nil {
		t.Errorf("unprivileged facts missing: %+v", hf)
	}
}
