package hosts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// A host in its own network namespace with its own firewall and a jumbo-frame
// interface: the facts must be that namespace's, not the test machine's.
func TestHostInNetworkNamespace(t *testing.T) {
	ns, err := testbed.NewNetNS()
	if err != nil {
		testbed.Missing(t, err)
	}
	t.Cleanup(ns.Delete)
	for _, cmd := range [][]string{
		{"ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"},
		{"ip", "link", "set", "eth0", "mtu", "9000", "up"},
		{"ip", "link", "set", "eth0p", "mtu", "9000", "up"},
		{"ip", "addr", "add", "192.0.2.11/24", "dev", "eth0"},
		{"ip", "link", "add", "cloudbr0", "type", "bridge"},
		{"ip", "link", "set", "cloudbr0", "up"},
		{"iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"},
		{"iptables", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"},
		{"iptables", "-A", "INPUT", "-s", "192.0.2.0/24", "-p", "tcp", "--dport", "16514", "-j", "ACCEPT"},
		{"iptables", "-A", "INPUT", "-p", "tcp", "--dport", "16509", "-j", "DROP"},
		{"iptables", "-A", "INPUT", "-p", "tcp", "-m", "recent", "--rcheck", "--dport", "8250", "-j", "DROP"},
		{"iptables", "-P", "INPUT", "DROP"},
		// IPv6 left open for libvirt TCP: closed on v4, reachable on v6.
		{"ip6tables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"},
		{"ip6tables", "-A", "INPUT", "-p", "tcp", "--dport", "16509", "-j", "ACCEPT"},
		{"ip6tables", "-A", "INPUT", "-s", "2001:db8::/64", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"},
		{"ip6tables", "-P", "INPUT", "DROP"},
	} {
		if err := ns.Run(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	h := startHost(t, testbed.HostConfig{NetNS: ns.Name, Listen: "192.0.2.11", Port: 22, Files: kvmFiles(t)})
	cfg := sshConfig(h)
	cfg.SSH.Addresses = map[string]string{"kvm-ns": "192.0.2.11"}
	p, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.DialContext = ns.DialContext
	start := time.Now()
	part, err := NewWithPool(p, nil).Collect(context.Background(), &collectors.Inventory{Hosts: []collectors.Target{
		{UUID: "ns-host", Name: "kvm-ns", Address: "10.255.255.1", Hypervisor: "KVM"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("collected in %s", time.Since(start))
	hf := part.Hosts["ns-host"]
	if hf == nil {
		t.Fatalf("not collected: %+v", part.Errors)
	}
	mtu := map[string]int{}
	for _, l := range hf.Interfaces.Links {
		mtu[l.Name] = l.MTU
	}
	if mtu["eth0"] != 9000 || mtu["cloudbr0"] == 0 {
		t.Errorf("links = %+v", hf.Interfaces.Links)
	}
	want := map[string]string{"22": VerdictOpen, "16514": VerdictRestricted, "16509": VerdictClosed, "8250": VerdictIndeterminate}
	for port, v := range want {
		if got := hf.Firewall.Ports[port]; got.Verdict != v {
			t.Errorf("port %s = %+v, want %s", port, got, v)
		}
	}
	want6 := map[string]string{"22": VerdictRestricted, "16509": VerdictOpen, "16514": VerdictClosed, "8250": VerdictClosed}
	for port, v := range want6 {
		if got := hf.Firewall.Ports6[port]; got.Verdict != v {
			t.Errorf("IPv6 port %s = %+v, want %s", port, got, v)
		}
	}
	// 8250's verdict is indeterminate: the fact stays as evidence, and
	// coverage fails it for this host so its checks cannot pass.
	if r := part.Coverage[FactFirewall].Failed["ns-host"]; !strings.HasPrefix(r, "indeterminate: port 8250 (IPv4): ") {
		t.Errorf("hosts.firewall coverage failure = %q", r)
	}
	if hf.Address != "192.0.2.11:22" {
		t.Errorf("address = %s (ssh.addresses not applied)", hf.Address)
	}
}

// The same with a native nftables ruleset (inet table, sets, a jump).
func TestHostInNetworkNamespaceNft(t *testing.T) {
	ns, err := testbed.NewNetNS()
	if err != nil {
		testbed.Missing(t, err)
	}
	t.Cleanup(ns.Delete)
	for _, cmd := range [][]string{
		{"ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"},
		{"ip", "link", "set", "eth0", "up"},
		{"ip", "link", "set", "eth0p", "up"},
		{"ip", "addr", "add", "192.0.2.12/24", "dev", "eth0"},
		{"nft", "add table inet audit"},
		{"nft", "add chain inet audit cs { }"},
		{"nft", "add rule inet audit cs ip saddr 192.0.2.0/24 tcp dport { 16509, 16514 } accept"},
		{"nft", "add chain inet audit input { type filter hook input priority 0 ; policy drop ; }"},
		{"nft", "add rule inet audit input iif lo accept"},
		{"nft", "add rule inet audit input ct state established,related accept"},
		{"nft", "add rule inet audit input tcp dport 22 accept"},
		{"nft", "add rule inet audit input jump cs"},
		{"nft", "add rule inet audit input ip saddr 169.254.0.0/16 drop"},
		// IPv6 16509 is allowed from a prefix by the inet table, then
		// rate-limited by an ip6 one: not modelled, so indeterminate.
		{"nft", "insert rule inet audit cs ip6 saddr 2001:db8::/64 tcp dport 16509 accept"},
		{"nft", "add table ip6 extra"},
		{"nft", "add chain ip6 extra input { type filter hook input priority 10 ; policy accept ; }"},
		{"nft", "add rule ip6 extra input tcp dport 16509 limit rate 5/second accept"},
	} {
		if err := ns.Run(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	h := startHost(t, testbed.HostConfig{NetNS: ns.Name, Listen: "192.0.2.12", Port: 22})
	p, err := sshpool.New(sshConfig(h))
	if err != nil {
		t.Fatal(err)
	}
	p.DialContext = ns.DialContext
	part, err := NewWithPool(p, nil).Collect(context.Background(), &collectors.Inventory{Hosts: []collectors.Target{
		{UUID: "ns-nft", Name: "kvm-nft", Address: "192.0.2.12", Hypervisor: "KVM"}}})
	if err != nil {
		t.Fatal(err)
	}
	hf := part.Hosts["ns-nft"]
	if hf == nil {
		t.Fatalf("not collected: %+v", part.Errors)
	}
	want := map[string]string{"22": VerdictOpen, "16509": VerdictRestricted, "16514": VerdictRestricted, "8250": VerdictClosed}
	for port, v := range want {
		if got := hf.Firewall.Ports[port]; got.Verdict != v {
			t.Errorf("port %s = %+v, want %s", port, got, v)
		}
	}
	if v := hf.Firewall.Ports6["16509"]; v.Verdict != VerdictIndeterminate {
		t.Errorf("IPv6 16509 = %+v, want indeterminate", v)
	}
	if v := hf.Firewall.Ports6["22"]; v.Verdict != VerdictOpen {
		t.Errorf("IPv6 22 = %+v (inet accepts it, the ip6 table accepts by policy)", v)
	}
	r := part.Coverage[FactFirewall].Failed["ns-nft"]
	if !strings.HasPrefix(r, "indeterminate: port 16509 (IPv6): ") || !strings.Contains(r, "rate limit") || strings.Contains(r, "IPv4") {
		t.Errorf("hosts.firewall coverage failure = %q", r)
	}
	if ll := hf.Firewall.LinkLocalDropped; ll == nil || !*ll {
		t.Errorf("link_local_dropped = %v", ll)
	}
	t.Logf("backend %s, 16509 sources %v", hf.Firewall.Backend, hf.Firewall.Ports["16509"].Sources)
}
