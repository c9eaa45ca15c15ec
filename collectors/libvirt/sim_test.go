package libvirt

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// The simulator's streamlocal forwarding carries go-libvirt to a real
// libvirtd: the spike the lab simulator depends on.
func TestSimulatorForwardsToRealLibvirtd(t *testing.T) {
	h, uri := startHost(t, testbed.HostConfig{Libvirt: &testbed.LibvirtConfig{}})
	sock := filepath.Join(h.LibvirtRun, "libvirt-sock-ro")
	sim, err := testbed.StartSim(testbed.SimConfig{N: 3, Dir: t.TempDir(),
		Output: func(int, string) ([]byte, int) { return nil, 127 },
		Socket: func(_ int, path string) string {
			if path == DefaultSocket {
				return sock
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	no := false
	cfg := &collectors.Config{
		SSH:     &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile}, KnownHosts: sim.KnownHostsFile, UseAgent: &no},
		Libvirt: &collectors.LibvirtConfig{URI: uri},
	}
	var targets []collectors.Target
	for i, a := range sim.Addrs {
		targets = append(targets, collectors.Target{UUID: string(rune('a' + i)), Name: "sim", Address: a, Hypervisor: "KVM"})
	}
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Errors) != 0 {
		t.Fatalf("errors: %+v", part.Errors)
	}
	for _, tg := range targets {
		d := part.Hosts[tg.UUID].Domains
		if d.Source != "libvirt" {
			t.Errorf("%s: source %s", tg.UUID, d.Source)
		}
		if diff := cmp.Diff(wantDomains, d.Domains); diff != "" {
			t.Error(diff)
		}
	}
}

// The lab's domains, answered by simulated hosts through the virsh fallback
// (the simulator refuses socket forwarding), come back unchanged.
func TestLabDomainsThroughVirshFallback(t *testing.T) {
	snap, _, err := collectors.LoadSnapshot(filepath.Join("..", "..", "fixtures", "lab", "lab.json"))
	if err != nil {
		t.Fatal(err)
	}
	var uuids []string
	for u, h := range snap.Hosts {
		if h.Domains != nil {
			uuids = append(uuids, u)
		}
	}
	sort.Strings(uuids)
	if len(uuids) == 0 {
		t.Fatal("the lab snapshot lost its libvirt domains: nothing to round-trip")
	}
	sim, err := testbed.StartSim(testbed.SimConfig{N: len(uuids), Dir: t.TempDir(),
		Output: func(i int, cmd string) ([]byte, int) {
			if !strings.HasPrefix(cmd, "virsh -r ") {
				return nil, 127
			}
			return RenderVirsh(snap.Hosts[uuids[i]].Domains.Domains), 0
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	no := false
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no}}
	var targets []collectors.Target
	for i, u := range uuids {
		targets = append(targets, collectors.Target{UUID: u, Name: snap.Hosts[u].Name, Address: sim.Addrs[i], Hypervisor: "KVM"})
	}
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Errors) != 0 {
		t.Fatalf("errors: %+v", part.Errors)
	}
	n := 0
	for _, u := range uuids {
		got := part.Hosts[u].Domains
		if got.Source != "virsh" {
			t.Errorf("%s: source %s", u, got.Source)
		}
		want := slices.Clone(snap.Hosts[u].Domains.Domains)
		sort.Slice(want, func(i, j int) bool {
			return want[i].Name < want[j].Name || want[i].Name == want[j].Name && want[i].UUID < want[j].UUID
		})
		if diff := cmp.Diff(want, got.Domains, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: -lab +collected\n%s", u, diff)
		}
		n += len(want)
	}
	t.Logf("%d hosts, %d domains", len(uuids), n)
}
