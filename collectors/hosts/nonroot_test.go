package hosts

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// As a non-root user without a sudoers entry (or without sudo): facts that
// need privilege fail with a reason naming sudoers, the firewall is
// indeterminate, no file is reported missing, and the unprivileged facts are
// collected.
func TestNonRootWithoutSudo(t *testing.T) {
	h := nonRootHost(t, nil)
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

// As a non-root user with the generated sudoers drop-in (checked by visudo):
// every fact the root run has is collected, through sudo -n.
func TestNonRootWithSudoers(t *testing.T) {
	visudo, err := testbed.Need("sudo", "visudo")
	if err != nil {
		testbed.Missing(t, err)
	}
	drop := filepath.Join(t.TempDir(), "csaudit")
	if err := os.WriteFile(drop, []byte(Sudoers("csaudit")), 0o440); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(visudo, "-cf", drop).CombinedOutput(); err != nil {
		t.Fatalf("visudo rejects the generated drop-in: %v\n%s", err, out)
	}
	h := nonRootHost(t, map[string]testbed.File{"/etc/sudoers.d/csaudit": {Mode: 0o440, Data: Sudoers("csaudit")}})
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
	for fact, cv := range part.Coverage {
		if len(cv.Failed) != 0 {
			t.Errorf("%s failed: %v", fact, cv.Failed)
		}
	}
	if hf.Properties == nil || hf.Properties.Values["host"] != "192.0.2.1" {
		t.Errorf("agent.properties through sudo: %+v", hf.Properties)
	}
	if hf.Files == nil || hf.Files.Files[cloudSSHKey].Mode != "0644" || hf.Files.Files[agentProperties].Mode != "0600" {
		t.Errorf("files through sudo: %+v", hf.Files)
	}
	if hf.Firewall == nil || hf.Firewall.Ports["22"].Verdict != VerdictOpen {
		t.Errorf("firewall through sudo: %+v", hf.Firewall)
	}
}

// nonRootHost starts a KVM host with a user csaudit (uid 1500), the agent's
// files root-only as on a real host, and extra files (a sudoers drop-in).
func nonRootHost(t *testing.T, extra map[string]testbed.File) *testbed.Host {
	t.Helper()
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	group, _ := os.ReadFile("/etc/group")
	shadow, _ := os.ReadFile("/etc/shadow")
	files := kvmFiles(t)
	files["/etc/passwd"] = testbed.File{Mode: 0o644, Data: string(passwd) + "csaudit:x:1500:1500:audit:/tmp:/bin/sh\n"}
	files["/etc/group"] = testbed.File{Mode: 0o644, Data: string(group) + "csaudit:x:1500:\n"}
	files["/etc/shadow"] = testbed.File{Mode: 0o640, Data: string(shadow) + "csaudit:*:20000:0:99999:7:::\n"}
	f := files[agentProperties]
	f.Mode = 0o600
	files[agentProperties] = f
	maps.Copy(files, extra)
	h := startHost(t, testbed.HostConfig{Files: files})
	// sshd reads authorized_keys as the user: let uid 1500 reach it.
	for _, p := range []string{filepath.Dir(h.Dir), h.Dir, h.Dir + "/ssh", h.Dir + "/ssh/authorized_keys"} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}
