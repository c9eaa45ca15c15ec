package hosts

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
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
	// Correctly framed, but the cpu, props and iptables sections carry bytes
	// that are not UTF-8.
	framed := filepath.Join(t.TempDir(), "framed.out")
	if err := os.WriteFile(framed, []byte("@@csaudit clock "+b64("1700000000.25\n")+" 0\n@@csaudit agent "+b64("active\n")+" 0\n"+
		"@@csaudit cpu "+b64("model name\t: Xeon\xff\xfe\n")+" 0\n@@csaudit props "+b64("host=10.0.0.\xc3\n")+" 0\n"+
		"@@csaudit iptables "+b64("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"caf\xe9\" -j ACCEPT\nCOMMIT\n")+" 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nonUTF8 := startHost(t, testbed.HostConfig{SSHDConfig: []string{"ForceCommand cat " + framed}})
	changed := startHost(t, testbed.HostConfig{})
	free, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}

	// One known_hosts for all: the changed host gets someone else's key.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := ssh.NewPublicKey(pub)
	var kh strings.Builder
	for _, h := range []*testbed.Host{good, hang, flood, binary, reset, nonUTF8} {
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
	for _, h := range []*testbed.Host{hang, flood, binary, reset, nonUTF8, changed} {
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
		{UUID: "non-utf8", Name: "non-utf8", Address: nonUTF8.Addr, Hypervisor: "KVM"},
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

	// Run 2: the hosts whose fault is in the output, still with 0.5 s
	// timeouts. sshd needs 0.1-0.3 s to start a session here, more under
	// load, so a fault may surface as the timeout instead: either way the
	// host fails alone, without facts, and the run ends within its bound.
	// (TestOutputFaultsShortTimeouts asserts each fault's own detection at
	// 0.5 s on the in-process simulator; run 3 does on sshd.)
	start = time.Now()
	part, err = New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: []collectors.Target{
		targets[2], targets[3], targets[4], targets[8]}})
	took = time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("4 hosts with faulty output, 0.5 s timeouts, in %s: %+v", took, part.Errors)
	if took > 3*time.Second {
		t.Errorf("collection took %s with 0.5 s timeouts", took)
	}
	const timedOut = "timed out after 500ms"
	faults := map[string]string{"flood": "exceeds", "binary": "framing", "reset": "closed before"}
	errs := map[string]string{}
	for _, e := range part.Errors {
		errs[e.Target] = e.Error
	}
	for name, frag := range faults {
		if e := errs[name]; strings.Contains(e, timedOut) {
			faults[name] = timedOut
		} else if !strings.Contains(e, frag) {
			t.Errorf("%s: error %q names neither the fault nor the timeout", name, e)
		}
	}
	check(part, faults)
	if e := errs["non-utf8"]; e != "" {
		check(part, map[string]string{"non-utf8": timedOut})
	} else {
		checkNonUTF8(t, part)
	}

	// Run 3: every host at once; the healthy one is a real script run on a
	// real sshd (0.1-0.3 s per session here, more under load), so the command
	// timeout is longer, and so is the connect timeout (handshakes are slow
	// under -race on a loaded machine). It must be collected among the
	// faulty ones.
	cfg.SSH.CommandTimeout = collectors.Duration(6 * time.Second)
	cfg.SSH.ConnectTimeout = collectors.Duration(3 * time.Second)
	start = time.Now()
	part, err = New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 15*time.Second {
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
	checkNonUTF8(t, part)
	b, _ := json.Marshal(part)
	if strings.Contains(string(b), canary) {
		t.Fatal("secret leaked")
	}
}

// checkNonUTF8: the host with framed non-UTF-8 sections is collected; the
// facts from those sections fail in coverage with a reason and are absent,
// the firewall verdict is indeterminate, and nothing mangled reaches JSON.
func checkNonUTF8(t *testing.T, part *collectors.Part) {
	t.Helper()
	h := part.Hosts["non-utf8"]
	if h == nil || h.Agent == nil || h.Agent.State != StateActive {
		t.Fatalf("framed non-UTF-8 host: facts %+v, errors %+v", h, part.Errors)
	}
	for _, f := range []string{FactCPU, FactProperties, FactFirewall} {
		if r := part.Coverage[f].Failed["non-utf8"]; !strings.Contains(r, "not valid UTF-8") {
			t.Errorf("%s: coverage failure %q", f, r)
		}
	}
	if h.CPU != nil || h.Properties != nil {
		t.Errorf("facts from non-UTF-8 output: cpu %+v, properties %+v", h.CPU, h.Properties)
	}
	if h.Firewall == nil || h.Firewall.Ports["16509"].Verdict != VerdictIndeterminate {
		t.Errorf("firewall = %+v", h.Firewall)
	}
	b, err := json.Marshal(part)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(b) || strings.Contains(string(b), `\ufffd`) {
		t.Error("mangled text in the collected part")
	}
}

func TestAcceptNewHostKeys(t *testing.T) {
	h := startHost(t, testbed.HostConfig{})
	cfg := sshConfig(h)
	cfg.SSH.KnownHosts = t.TempDir() + "/absent"
	if _, err := sshpool.New(cfg); err == nil {
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

// TestOutputFaultsShortTimeouts: faults in the output, from the in-process
// SSH simulator (no process start-up to wait for), with 0.5 s timeouts:
// each is detected as it streams in, the healthy host beside them is
// collected, and the run ends well within a bound.
func TestOutputFaultsShortTimeouts(t *testing.T) {
	healthy, err := os.ReadFile(filepath.Join("testdata", "script_testbed.out"))
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 4096)
	if _, err := rand.Read(junk); err != nil {
		t.Fatal(err)
	}
	outputs := map[string][]byte{
		"good":     healthy,
		"flood":    append([]byte("@@csaudit cpu "), bytes.Repeat([]byte("y"), 8<<20)...),
		"binary":   junk,
		"unframed": []byte("Welcome to the host!\n" + string(healthy)),
		"non-utf8": []byte("@@csaudit clock " + b64("1700000000.25\n") + " 0\n@@csaudit agent " + b64("active\n") + " 0\n" +
			"@@csaudit cpu " + b64("model name\t: Xeon\xff\xfe\n") + " 0\n@@csaudit props " + b64("host=10.0.0.\xc3\n") + " 0\n" +
			"@@csaudit iptables " + b64("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"caf\xe9\" -j ACCEPT\nCOMMIT\n") + " 0\n"),
	}
	names := []string{"good", "flood", "binary", "unframed", "non-utf8"}
	sim, err := testbed.StartSim(testbed.SimConfig{N: len(names), Dir: t.TempDir(),
		Output: func(i int, _ string) ([]byte, int) { return outputs[names[i]], 0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	no := false
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no,
		// The output faults are what is timed; handshakes get longer (slow
		// under -race on a loaded machine).
		ConnectTimeout: collectors.Duration(3 * time.Second), CommandTimeout: collectors.Duration(500 * time.Millisecond)}}
	var targets []collectors.Target
	for i, n := range names {
		targets = append(targets, collectors.Target{UUID: n, Name: n, Address: sim.Addrs[i], Hypervisor: "KVM"})
	}
	start := time.Now()
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d simulated hosts, 0.5 s command timeout, in %s", len(names), took)
	if took > 5*time.Second {
		t.Errorf("took %s with a 0.5 s command timeout", took)
	}
	want := map[string]string{"flood": "exceeds", "binary": "framing", "unframed": "framing"}
	errs := map[string]string{}
	for _, e := range part.Errors {
		errs[e.Target] = e.Error
	}
	for name, frag := range want {
		if !strings.Contains(errs[name], frag) {
			t.Errorf("%s: error %q lacks %q", name, errs[name], frag)
		}
		if part.Hosts[name] != nil || part.Coverage[FactAgent].Failed[name] == "" {
			t.Errorf("%s: facts %v, coverage failure %q", name, part.Hosts[name] != nil, part.Coverage[FactAgent].Failed[name])
		}
	}
	if len(part.Errors) != len(want) {
		t.Errorf("errors: %+v", part.Errors)
	}
	if g := part.Hosts["good"]; g == nil || g.Properties == nil || g.Properties.Values["host"] != "192.0.2.1" {
		t.Errorf("healthy host among faulty ones: %+v", g)
	}
	checkNonUTF8(t, part)
}
