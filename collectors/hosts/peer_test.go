package hosts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

const canary = "CANARY-s3cr3t-9f1c2b"

var certNotAfter = time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC)

func testCert(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "kvm-h1"},
		NotBefore: certNotAfter.AddDate(-1, 0, 0), NotAfter: certNotAfter}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// kvmFiles are the agent-side files of a simulated KVM host, with deliberate
// findings (world-writable agent.properties, id_rsa.cloud readable by all) and
// a secret that must never reach the snapshot.
func kvmFiles(t *testing.T) map[string]testbed.File {
	return map[string]testbed.File{
		agentProperties: {Mode: 0o666, Data: "# agent\nhost=192.0.2.1\nport=8250\ncluster=1\npod=1\nzone=1\n" +
			"guid=5d1c9a9e-0000-4000-8000-000000000001\nhypervisor.type=kvm\nprivate.network.device=cloudbr0\n" +
			"keystore.passphrase=" + canary + "\nguest.cpu.mode=host-passthrough\n"},
		agentKeystore:           {Mode: 0o600, Data: "not a real keystore " + canary},
		agentCert:               {Mode: 0o644, Data: testCert(t)},
		cloudSSHKey:             {Mode: 0o644, Data: "-----BEGIN OPENSSH PRIVATE KEY-----\n" + canary + "\n"},
		"/etc/default/libvirtd": {Mode: 0o644, Data: "# Options\nLIBVIRTD_ARGS=\"--listen\"\n"},
	}
}

func startHost(t *testing.T, cfg testbed.HostConfig) *testbed.Host {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	h, err := testbed.StartHost(cfg)
	if err != nil {
		if strings.Contains(err.Error(), testbed.ErrMissing.Error()) {
			testbed.Missing(t, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

func sshConfig(h *testbed.Host) *collectors.Config {
	no := false
	return &collectors.Config{SSH: &collectors.SSHConfig{
		User: "root", IdentityFiles: []string{h.ClientKeyFile}, KnownHosts: h.KnownHostsFile, UseAgent: &no,
		ConnectTimeout: collectors.Duration(5 * time.Second), CommandTimeout: collectors.Duration(10 * time.Second),
	}}
}

func TestCollectAgainstSSHD(t *testing.T) {
	h := startHost(t, testbed.HostConfig{Files: kvmFiles(t), Libvirt: &testbed.LibvirtConfig{ListenTCP: true}})
	cfg := sshConfig(h)
	target := collectors.Target{ID: "1", UUID: "host-uuid-1", Name: "kvm-h1", Address: h.Addr, Hypervisor: "KVM"}
	xen := collectors.Target{ID: "2", UUID: "host-uuid-2", Name: "xen-1", Address: "192.0.2.99", Hypervisor: "XenServer"}
	inv := &collectors.Inventory{Hosts: []collectors.Target{target, xen}, Selected: map[string]bool{"hosts": true}}

	if os.Getenv("CSAUDIT_CAPTURE") != "" {
		p, err := sshpool.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c, err := p.Get(context.Background(), target, inv)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := c.Run(context.Background(), standard.script, maxScriptOutput)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "script_testbed.out"), out, 0o644); err != nil {
			t.Fatal(err)
		}
		p.Close()
	}

	start := time.Now()
	part, err := New(cfg).Collect(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("collected one host in %s", time.Since(start))
	if len(part.Errors) != 0 {
		t.Fatalf("errors: %+v", part.Errors)
	}
	hf := part.Hosts["host-uuid-1"]
	if hf == nil {
		t.Fatal("no facts for the host")
	}
	if part.Hosts["host-uuid-2"] != nil {
		t.Error("facts invented for a XenServer host")
	}
	// One note for the XenServer host, not one per fact.
	if n := part.Coverage[FactSSH].Notes; len(n) != 1 || !strings.Contains(n[0], "xen-1 (host-uuid-2): SSH facts are not supported") {
		t.Errorf("xen note = %v", n)
	}
	if n := part.Coverage[FactAgent].Notes; len(n) != 0 {
		t.Errorf("xen note repeated under %s: %v", FactAgent, n)
	}
	// What systemctl can tell on the simulated host depends on this
	// machine (systemd as PID 1 or not, a chroot): derived, then strict.
	t.Logf("this machine as the host's systemctl sees it: %s", h.Init())
	if want := h.AgentState(); hf.Agent == nil || hf.Agent.State != want {
		t.Errorf("agent = %+v, want state %q (this machine: %s)", hf.Agent, want, h.Init())
	}
	if hf.Listeners == nil {
		t.Fatal("no listeners fact")
	}
	if d := cmp.Diff(h.UnitStates(socketUnits), hf.Listeners.Units); d != "" {
		t.Errorf("socket units (this machine: %s) -want +got:\n%s", h.Init(), d)
	}
	if hf.Properties == nil || hf.Properties.Values["host"] != "192.0.2.1" || hf.Properties.Values["guest.cpu.mode"] != "host-passthrough" {
		t.Errorf("properties = %+v", hf.Properties)
	}
	if _, ok := hf.Properties.Values["keystore.passphrase"]; ok {
		t.Error("keystore.passphrase passed the allowlist")
	}
	if hf.Files == nil || hf.Files.Files[agentProperties].Mode != "0666" || hf.Files.Files[cloudSSHKey].Perm != 0o644 ||
		hf.Files.Files[agentKeystore].Mode != "0600" || !hf.Files.Files[libvirtdConf].Exists {
		t.Errorf("files = %+v", hf.Files)
	}
	if hf.Libvirtd == nil || hf.Libvirtd.Values["listen_tcp"] != "1" || hf.Libvirtd.Values["auth_tcp"] != "none" ||
		hf.Libvirtd.Values["LIBVIRTD_ARGS"] != "--listen" {
		t.Errorf("libvirtd = %+v", hf.Libvirtd)
	}
	if hf.Cert == nil || !hf.Cert.NotAfter.Equal(certNotAfter) || hf.Cert.Subject != "CN=kvm-h1" {
		t.Errorf("cert = %+v", hf.Cert)
	}
	if hf.Listeners == nil || !hasListener(hf.Listeners.Listeners, h.Addr) {
		t.Errorf("listeners = %+v", hf.Listeners)
	}
	if hf.Firewall == nil || hf.Firewall.Ports["16509"].Verdict != VerdictOpen {
		t.Errorf("firewall = %+v (the root namespace has no rules)", hf.Firewall)
	}
	if hf.Interfaces == nil || len(hf.Interfaces.Links) == 0 {
		t.Errorf("interfaces = %+v", hf.Interfaces)
	}
	if hf.Packages == nil || hf.Packages.Manager != "dpkg" || hf.Packages.Versions["libvirt0"] == "" {
		t.Errorf("packages = %+v", hf.Packages)
	}
	if hf.CPU == nil || hf.CPU.Model == "" {
		t.Errorf("cpu = %+v", hf.CPU)
	}
	// Same machine, same clock: the offset is measurement error only.
	if hf.Clock == nil || hf.Clock.OffsetMS > 100 || hf.Clock.OffsetMS < -100 || hf.Clock.Reference != "auditor" {
		t.Errorf("clock = %+v (same machine: offset should be near 0)", hf.Clock)
	}
	t.Logf("clock offset %.1f ms, rtt %.1f ms", hf.Clock.OffsetMS, hf.SSH.RTTMS)
	if hf.SSH == nil || hf.SSH.RTTMS <= 0 {
		t.Errorf("ssh = %+v", hf.SSH)
	}
	b, _ := json.Marshal(part)
	if strings.Contains(string(b), canary) {
		t.Fatal("a secret from the host reached the collected part")
	}
}

func hasListener(ls []collectors.Listener, addr string) bool {
	for _, l := range ls {
		if strings.HasSuffix(addr, ":"+itoa(l.Port)) {
			return true
		}
	}
	return false
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
