package hosts

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// The lab snapshot's hosts, served by simulated hosts from RenderOutput and
// collected again, come back with the same facts: the simulator's per-host
// fixtures and the parsers agree.
func TestLabHostsRoundTrip(t *testing.T) {
	snap, _, err := collectors.LoadSnapshot(filepath.Join("..", "..", "fixtures", "lab", "lab.json"))
	if err != nil {
		t.Fatal(err)
	}
	var uuids []string
	for u, h := range snap.Hosts {
		if h.Agent != nil {
			uuids = append(uuids, u)
		}
	}
	sort.Strings(uuids)
	if len(uuids) == 0 {
		t.Fatal("the lab snapshot lost its host facts: nothing to round-trip")
	}
	sim, err := testbed.StartSim(testbed.SimConfig{N: len(uuids), Latency: time.Millisecond, Dir: t.TempDir(),
		Output: func(i int, _ string) ([]byte, int) { return RenderOutput(snap.Hosts[uuids[i]], time.Now()), 0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	no := false
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no}}
	var targets []collectors.Target
	for i, u := range uuids {
		targets = append(targets, collectors.Target{ID: strconv.Itoa(i), UUID: u, Name: snap.Hosts[u].Name, Address: sim.Addrs[i], Hypervisor: "KVM"})
	}
	part, err := New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Errors) != 0 {
		t.Fatalf("errors: %+v", part.Errors)
	}
	opts := cmp.Options{
		cmpopts.IgnoreTypes(collectors.FactMeta{}),
		cmpopts.IgnoreFields(collectors.HostFacts{}, "HostID", "Name", "Address", "Hypervisor", "SSH", "Domains"),
		cmpopts.IgnoreFields(collectors.ClockFact{}, "OffsetMS", "Reference"),
		// The lab has no IPv6 verdicts; collected ones come from an empty
		// nft ruleset (all open) and are compared in the firewall tests.
		cmpopts.IgnoreFields(collectors.FirewallFact{}, "Backend", "Ports6"),
		cmpopts.IgnoreFields(collectors.PortVerdict{}, "Reason"),
		cmpopts.EquateEmpty(),
	}
	t.Logf("%d lab hosts round-tripped", len(uuids))
	for _, u := range uuids {
		if part.Hosts[u] == nil || part.Hosts[u].Firewall == nil || part.Hosts[u].Interfaces == nil {
			t.Fatalf("%s: facts missing", u)
		}
		if d := cmp.Diff(snap.Hosts[u], part.Hosts[u], opts); d != "" {
			t.Errorf("%s (%s): -lab +collected\n%s", snap.Hosts[u].Name, u, d)
		}
	}
}
