package hosts_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/collectors/sshpool"
	"github.com/csaudit/csaudit/fixtures/hostrender"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// A fact added as one row of a fact table (MachineTable: the cpu row
// replaced by hosts.test_machine, read as root from a root-only file) is
// run by the script, listed by the sudoers generator, collected through
// sudo by a non-root user on a real host, and rendered by the fixtures'
// renderer for simulated hosts, with nothing else changed.
func TestAddedFactRow(t *testing.T) {
	visudo, err := testbed.Need("sudo", "visudo")
	if err != nil {
		testbed.Missing(t, err)
	}
	table := hosts.MachineTable()
	script, err := hosts.ScriptFor(table)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(script, "\ns "+hosts.SectionTestMachine+" 65 r cat "+hosts.TestMachineFile+"\n") ||
		strings.Contains(script, "\ns "+hosts.SectionCPU+" ") {
		t.Errorf("script does not run the added row instead of the cpu row:\n%s", script)
	}
	sudoLine := "/usr/bin/cat " + hosts.TestMachineFile
	sudoers := hosts.SudoersFor("csaudit", table)
	if !strings.Contains(sudoers, sudoLine) || strings.Contains(hosts.Sudoers("csaudit"), sudoLine) {
		t.Fatalf("sudoers of the table lacks %q (or the standard one has it):\n%s", sudoLine, sudoers)
	}
	drop := filepath.Join(t.TempDir(), "csaudit")
	if err := os.WriteFile(drop, []byte(sudoers), 0o440); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(visudo, "-cf", drop).CombinedOutput(); err != nil {
		t.Fatalf("visudo rejects the drop-in: %v\n%s", err, out)
	}

	// Collected: with the table's drop-in the row reads the root-only file
	// through sudo; with the standard drop-in it fails naming sudoers.
	machine := testbed.File{Mode: 0o600, Data: "machine-7\n"}
	collect := func(drop string) *collectors.Part {
		t.Helper()
		h := hosts.NonRootHost(t, map[string]testbed.File{"/etc/sudoers.d/csaudit": {Mode: 0o440, Data: drop}, hosts.TestMachineFile: machine})
		cfg := hosts.SSHConfig(h)
		cfg.SSH.User = "csaudit"
		return collectTable(t, cfg, table, collectors.Target{UUID: "h", Name: "h", Address: h.Addr, Hypervisor: "KVM"})
	}
	part := collect(sudoers)
	hf := part.Hosts["h"]
	if hf == nil || hf.CPU == nil || hf.CPU.Model != "machine-7" {
		t.Fatalf("added fact not collected: %+v, errors %+v", hf, part.Errors)
	}
	if cv := part.Coverage[hosts.FactTestMachine]; cv == nil || !slices.Equal(cv.Collected, []string{"h"}) || len(cv.Failed) != 0 {
		t.Errorf("coverage of the added fact: %+v", cv)
	}
	if part.Coverage[hosts.FactCPU] != nil {
		t.Errorf("coverage of the removed cpu row: %+v", part.Coverage[hosts.FactCPU])
	}
	without := collect(hosts.Sudoers("csaudit"))
	if r := without.Coverage[hosts.FactTestMachine].Failed["h"]; !strings.Contains(r, "sudoers") || without.Hosts["h"].CPU != nil {
		t.Errorf("without its sudoers line: failure %q, cpu %+v", r, without.Hosts["h"].CPU)
	}

	// Rendered: the collected facts, served by a simulated host from the
	// table with a renderer for the added section, come back the same.
	rs := maps.Clone(hostrender.Sections)
	rs[hosts.SectionTestMachine] = func(h *collectors.HostFacts, _ time.Time) (string, int, bool) {
		if h.CPU == nil {
			return "", 0, false
		}
		return h.CPU.Model + "\n", 0, true
	}
	out := hostrender.OutputFor(table, rs, hf, time.Now())
	if !strings.Contains(string(out), "@@csaudit "+hosts.SectionTestMachine+" ") {
		t.Fatalf("renderer left out the added section:\n%s", out)
	}
	sim, err := testbed.StartSim(testbed.SimConfig{N: 1, Dir: t.TempDir(), Output: func(int, string) ([]byte, int) { return out, 0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	no := false
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no}}
	back := collectTable(t, cfg, table, collectors.Target{UUID: "h", Name: "h", Address: sim.Addrs[0], Hypervisor: "KVM"})
	if got := back.Hosts["h"]; got == nil || got.CPU == nil || got.CPU.Model != "machine-7" || len(back.Coverage[hosts.FactTestMachine].Failed) != 0 {
		t.Errorf("rendered and collected again: %+v, coverage %+v", got, back.Coverage[hosts.FactTestMachine])
	}
}

func collectTable(t *testing.T, cfg *collectors.Config, table []hosts.Fact, tg collectors.Target) *collectors.Part {
	t.Helper()
	p, err := sshpool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := hosts.NewForTable(p, table)
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.Collect(context.Background(), &collectors.Inventory{Hosts: []collectors.Target{tg}})
	if err != nil {
		t.Fatal(err)
	}
	return part
}
