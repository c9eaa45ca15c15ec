package libvirt

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

const canary = "CANARY-agent-secret-31d0"

// The runner with the hosts and libvirt collectors on one pool, as
// cmd/csaudit wires them: one healthy simulated KVM host (sshd + libvirtd),
// one whose key changed, one unreachable. The snapshot holds the healthy
// host's facts and domains, collector errors naming the others with no facts
// for them, and no secret from agent.properties.
func TestRunnerEndToEnd(t *testing.T) {
	h, uri := startHost(t, testbed.HostConfig{
		Libvirt: &testbed.LibvirtConfig{ListenTCP: true},
		Files: map[string]testbed.File{
			"/etc/cloudstack/agent/agent.properties": {Mode: 0o666, Data: "host=192.0.2.1\nkeystore.passphrase=" + canary + "\n"},
			"/root/.ssh/id_rsa.cloud":                {Mode: 0o640, Data: canary},
		},
	})
	changed, _ := startHost(t, testbed.HostConfig{})
	pub, _ := os.ReadFile(h.ClientKeyFile + ".pub")
	if err := os.WriteFile(changed.Dir+"/ssh/authorized_keys", pub, 0o600); err != nil {
		t.Fatal(err)
	}
	free, _ := testbed.FreePort()
	unreachable := "127.0.0.1:" + itoa(free)
	kh := t.TempDir() + "/known_hosts"
	lines := knownhosts.Line([]string{h.Addr}, h.HostKey) + "\n" +
		knownhosts.Line([]string{changed.Addr}, h.HostKey) + "\n" +
		knownhosts.Line([]string{unreachable}, h.HostKey) + "\n"
	if err := os.WriteFile(kh, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config(h, uri)
	cfg.SSH.KnownHosts = kh
	cfg.Inventory = []collectors.Target{
		{ID: "1", UUID: "u-good", Name: "kvm-good", Address: h.Addr, Hypervisor: "KVM"},
		{ID: "2", UUID: "u-changed", Name: "kvm-changed", Address: changed.Addr, Hypervisor: "KVM"},
		{ID: "3", UUID: "u-down", Name: "kvm-down", Address: unreachable, Hypervisor: "KVM"},
	}
	pool, perr := sshpool.New(cfg)
	r := &collectors.Runner{
		Collectors: []collectors.Collector{hosts.NewWithPool(pool, perr), NewWithPool(cfg, pool, perr)},
		Selected:   cfg.EnabledCollectors(),
		Targets:    cfg.Inventory,
		Timeout:    map[string]time.Duration{"hosts": 30 * time.Second, "libvirt": 30 * time.Second},
	}
	snap, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	good := snap.Hosts["u-good"]
	if good == nil || good.Agent == nil || good.Firewall == nil || good.Listeners == nil || good.Interfaces == nil ||
		good.Files == nil || good.Domains == nil || len(good.Domains.Domains) != 3 {
		t.Fatalf("healthy host facts incomplete: %+v", good)
	}
	if good.Files.Files["/etc/cloudstack/agent/agent.properties"].Perm != 0o666 || good.Libvirtd.Values["auth_tcp"] != "none" {
		t.Errorf("files %+v libvirtd %+v", good.Files, good.Libvirtd)
	}
	for _, u := range []string{"u-changed", "u-down"} {
		if snap.Hosts[u] != nil {
			t.Errorf("%s: facts for a host that failed", u)
		}
		if snap.Coverage["hosts.agent"].Failed[u] == "" || snap.Coverage[FactDomains].Failed[u] == "" {
			t.Errorf("%s: coverage lacks the failure", u)
		}
	}
	named := map[string]int{}
	for _, e := range snap.CollectorErrors {
		named[e.Collector+"/"+e.Target]++
	}
	for _, k := range []string{"hosts/kvm-changed", "hosts/kvm-down", "libvirt/kvm-changed", "libvirt/kvm-down"} {
		if named[k] != 1 {
			t.Errorf("collector errors %v lack %s", snap.CollectorErrors, k)
		}
	}
	b, err := snap.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), canary) {
		t.Fatal("agent.properties secret in the snapshot")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
