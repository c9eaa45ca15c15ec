package hosts

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// faultCase runs the collector over one healthy host and one faulty one with
// short timeouts, and checks that the faulty host is an error with no facts,
// the healthy one is collected, and the run ends within a bound.
func TestFaults(t *testing.T) {
	good := startHost(t, testbed.HostConfig{Files: kvmFiles(t)})
	hang := startHost(t, testbed.HostConfig{SSHDConfig: []string{"ForceCommand sleep 30"}})
	flood := startHost(t, testbed.HostConfig{SSHDConfig: []string{"ForceCommand printf '@@csaudit cpu '; yes | tr -d '\\n'"}})
	binary := startHost(t, testbed.HostConfig{SSHDConfig: []string{"ForceCommand head -c 4096 /dev/urandom"}})
	reset := startHost(t, testbed.HostConfig{SSHDConfig: []string{"ForceCommand printf '@@csaudit nft '; head -c 65536 /dev/zero | tr '\\0' A; kill -9 $PPID"}})
	changed := startHost(t, testbed.HostConfig{})
	free, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}

	// One known_hosts for all: the changed host gets someone else's key.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := ssh.NewPublicKey(pub)
	var kh strings.Builder
	for _, h := range []*testbed.Host{good, hang, flood, binary, reset} {
		kh.WriteString(knownhosts.Line([]string{h.Addr}, h.HostKey) + "\n")
	}
	kh.WriteString(knownhosts.Line([]string{"127.0.0.1:" + strconv.Itoa(free)}, other) + "\n")
	kh.WriteString(knownhosts.Line([]string{changed.Addr}, other) + "\n")
	khFile := t.TempDir() + "/known_hosts"
	if err := os.WriteFile(khFile, []byte(kh.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// Every host authorises the same client key: copy good's into the others.
	pubKey, err := os.ReadFile(good.ClientKeyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*testbed.Host{hang, flood, binary, reset, changed} {
		if err := os.WriteFile(h.Dir+"/ssh/authorized_keys", pubKey, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sshConfig(good)
	cfg.SSH.KnownHosts = khFile
	cfg.SSH.ConnectTimeout = collectors.Duration(500 * time.Millisecond)
	cfg.SSH.CommandTimeout = collectors.Duration(500 * time.Millisecond)

	targets := []collectors.Target{
		{UUID: "good", Name: "good", Address: good.Addr, Hypervisor: "KVM"},
		{UUID: "hang", Name: "hang", Address: hang.Addr, Hypervisor: "KVM"},
		{UUID: "flood", Name: "flood", Address: flood.Addr, Hypervisor: "KVM"},
		{UUID: "binary", Name: "binary", Address: binary.Addr, Hypervisor: "KVM"},
		{UUID: "reset", Name: "reset", Address: reset.Addr, Hypervisor: "KVM"},
		{UUID: "changed", Name: "changed", Address: changed.Addr, Hypervisor: "KVM"},
		{UUID: "refused", Name: "refused", Address: "127.0.0.1:" + strconv.Itoa(free), Hypervisor: "KVM"},
		{UUID: "unknown", Name: "unknown", Address: "127.0.0.9:22", Hypervisor: "KVM"},
	}
	check := func(part *collectors.Part, want map[string]string) {
		t.Helper()
		errs := map[string]string{}
		for _, e := range part.Errors {
			errs[e.Target] = e.Error
		}
		for name, frag := range want {
			if part.Hosts[name] != nil {
				t.Errorf("%s: facts invented for a failed host", name)
			}
			e, ok := errs[name]
			if !ok {
				t.Errorf("%s: no collector error", name)
				continue
			}
			if !strings.Contains(e, frag) {
				t.Errorf("%s: error %q lacks %q", name, e, frag)
			}
			if part.Coverage[FactFirewall].Failed[name] == "" {
				t.Errorf("%s: no coverage failure", name)
			}
		}
	}

	// Run 1: the hosts whose fault shows before or instead of output, with
	// 0.5 s timeouts; the run must end within a bound.
	start := time.Now()
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: []collectors.Target{
		targets[1], targets[5], targets[6], targets[7]}})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("4 faulty hosts with 0.5 s timeouts in %s", took)
	if took > 3*time.Second {
		t.Errorf("collection took %s with 0.5 s timeouts", took)
	}
	check(part, map[string]string{
		"hang":    "timed out after 500ms",
		"changed": "does not match known_hosts",
		"refused": "connection refused",
		"unknown": "not in known_hosts",
	})

	// Run 2: every host. Faults in the output need the output to arrive,
	// and this machine needs 0.1-0.3 s per sshd session (more under load),
	// so the command timeout is longer; the healthy host must be unaffected.
	cfg.SSH.CommandTimeout = collectors.Duration(3 * time.Second)
	start = time.Now()
	part, err = New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("mixed run took %s", took)
	}
	if part.Hosts["good"] == nil || part.Hosts["good"].Agent == nil || len(part.Errors) != 7 {
		t.Fatalf("healthy host not collected among faulty ones: %+v", part.Errors)
	}
	check(part, map[string]string{
		"hang":    "timed out",
		"flood":   "exceeds",
		"binary":  "framing",
		"reset":   "closed before",
		"changed": "does not match known_hosts",
	})
	b, _ := json.Marshal(part)
	if strings.Contains(string(b), canary) {
		t.Fatal("secret leaked")
	}
}

func TestAcceptNewHostKeys(t *testing.T) {
	h := startHost(t, testbed.HostConfig{})
	cfg := sshConfig(h)
	cfg.SSH.KnownHosts = t.TempDir() + "/absent"
	if _, err := NewPool(cfg); err == nil {
		t.Fatal("missing known_hosts accepted without opt-in")
	}
	cfg.SSH.AcceptNewHostKeys = true
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: []collectors.Target{
		{UUID: "h", Name: "h", Address: h.Addr, Hypervisor: "KVM"}}})
	if err != nil {
		t.Fatal(err)
	}
	hf := part.Hosts["h"]
	if hf == nil || hf.SSH == nil || !strings.Contains(hf.SSH.Error, ssh.FingerprintSHA256(h.HostKey)) {
		t.Fatalf("accepted key not reported: %+v %+v", hf, part.Errors)
	}
	if n := part.Coverage[FactSSH].Notes; len(n) != 1 || !strings.Contains(n[0], "accept_new_host_keys") {
		t.Errorf("opt-in not reported in coverage: %v", n)
	}
}
