package hosts

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

func collectOne(t *testing.T, p *sshpool.Pool, addr string) *collectors.Part {
	t.Helper()
	part, err := NewWithPool(p, nil).Collect(context.Background(), &collectors.Inventory{Hosts: []collectors.Target{
		{UUID: "h", Name: "h", Address: addr, Hypervisor: "KVM"}}})
	if err != nil {
		t.Fatal(err)
	}
	return part
}

// A host certificate signed by a CA in known_hosts (@cert-authority) is
// accepted with no plain key for the host; the algorithms offered are the
// certificate ones.
func TestCertAuthority(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ca).CombinedOutput(); err != nil {
		testbed.Missing(t, errors.New(string(out)))
	}
	h := startHost(t, testbed.HostConfig{HostCA: ca})
	caPub, err := os.ReadFile(ca + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(h.Addr)
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte("@cert-authority [127.0.0.1]:"+port+" "+string(caPub)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sshConfig(h)
	cfg.SSH.KnownHosts = kh
	p, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	part := collectOne(t, p, h.Addr)
	if part.Hosts["h"] == nil {
		t.Fatalf("certificate host not collected: %+v", part.Errors)
	}

	// The same host against a different CA is refused.
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ca+"2").CombinedOutput(); err != nil {
		t.Fatal(string(out))
	}
	other, _ := os.ReadFile(ca + "2.pub")
	if err := os.WriteFile(kh, []byte("@cert-authority [127.0.0.1]:"+port+" "+string(other)), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err = sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	part = collectOne(t, p, h.Addr)
	if part.Hosts["h"] != nil || len(part.Errors) != 1 {
		t.Fatalf("host signed by an unknown CA accepted: %+v", part.Errors)
	}
}

// Keys come from ssh-agent when no identity file is configured.
func TestSSHAgent(t *testing.T) {
	agentBin, err := testbed.Need("openssh-client", "ssh-agent")
	if err != nil {
		testbed.Missing(t, err)
	}
	h := startHost(t, testbed.HostConfig{})
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ag, err := testbed.Start("ssh-agent", filepath.Join(t.TempDir(), "agent.log"), []string{agentBin, "-D", "-a", sock}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Stop(time.Second)
	if err := ag.WaitFor(5*time.Second, func() error { _, err := os.Stat(sock); return err }); err != nil {
		t.Fatal(err)
	}
	add := exec.Command("ssh-add", h.ClientKeyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v %s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	cfg := sshConfig(h)
	cfg.SSH.IdentityFiles = nil
	cfg.SSH.UseAgent = nil
	p, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if part := collectOne(t, p, h.Addr); part.Hosts["h"] == nil {
		t.Fatalf("agent key not used: %+v", part.Errors)
	}
}

// Through a jump host: the target is reached only via the jump host's
// forwarding, and the jump host's key is verified as well.
func TestJumpHost(t *testing.T) {
	jump := startHost(t, testbed.HostConfig{})
	target := startHost(t, testbed.HostConfig{})
	pub, _ := os.ReadFile(jump.ClientKeyFile + ".pub")
	if err := os.WriteFile(target.Dir+"/ssh/authorized_keys", pub, 0o600); err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	write := func(jumpKey ssh.PublicKey) {
		lines := knownhosts.Line([]string{jump.Addr}, jumpKey) + "\n" + knownhosts.Line([]string{target.Addr}, target.HostKey) + "\n"
		if err := os.WriteFile(kh, []byte(lines), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(jump.HostKey)
	cfg := sshConfig(jump)
	cfg.SSH.KnownHosts = kh
	cfg.SSH.JumpHost = "root@" + jump.Addr
	p, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	direct := p.DialContext
	p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == target.Addr {
			return nil, errors.New("target dialled directly, not through the jump host")
		}
		return direct(ctx, network, addr)
	}
	if part := collectOne(t, p, target.Addr); part.Hosts["h"] == nil {
		t.Fatalf("not collected through the jump host: %+v", part.Errors)
	}
	p.Close()

	write(target.HostKey) // the jump host now presents an unknown key
	p, err = sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	part := collectOne(t, p, target.Addr)
	if part.Hosts["h"] != nil || len(part.Errors) != 1 || !strings.Contains(part.Errors[0].Error, "jump host") {
		t.Fatalf("jump host with a wrong key accepted: %+v", part.Errors)
	}
}

// known_hosts has only an RSA key for the host, which serves ed25519 only:
// the pinned handshake fails with a key error, not a guess.
func TestPinnedAlgorithmsMismatch(t *testing.T) {
	h := startHost(t, testbed.HostConfig{})
	dir := t.TempDir()
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", dir+"/rsa").CombinedOutput(); err != nil {
		t.Fatal(string(out))
	}
	pub, _ := os.ReadFile(dir + "/rsa.pub")
	key, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	kh := dir + "/known_hosts"
	if err := os.WriteFile(kh, []byte(knownhosts.Line([]string{h.Addr}, key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sshConfig(h)
	cfg.SSH.KnownHosts = kh
	p, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	part := collectOne(t, p, h.Addr)
	if part.Hosts["h"] != nil || len(part.Errors) != 1 || !strings.Contains(part.Errors[0].Error, "key types known_hosts has") {
		t.Fatalf("errors = %+v", part.Errors)
	}
}

// The host serves ed25519, ECDSA and RSA keys; known_hosts has only its RSA
// key. Unpinned, the handshake would pick a preferred type and report a false
// "key changed"; pinned, it asks for RSA and succeeds.
func TestPinnedAlgorithmsAvoidFalseMismatch(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []struct{ name, typ string }{{"ecdsa", "ecdsa"}, {"rsa", "rsa"}} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", k.typ, "-N", "", "-f", dir+"/"+k.name).CombinedOutput(); err != nil {
			t.Fatal(string(out))
		}
	}
	h := startHost(t, testbed.HostConfig{SSHDConfig: []string{"HostKey " + dir + "/ecdsa", "HostKey " + dir + "/rsa"}})
	pub, _ := os.ReadFile(dir + "/rsa.pub")
	key, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	kh := dir + "/known_hosts"
	if err := os.WriteFile(kh, []byte(knownhosts.Line([]string{h.Addr}, key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sshConfig(h)
	cfg.SSH.KnownHosts = kh
	p, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if part := collectOne(t, p, h.Addr); part.Hosts["h"] == nil {
		t.Fatalf("RSA-only known_hosts: %+v", part.Errors)
	}
}
