package hosts

import (
	"fmt"
	"slices"
	"strings"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
)

// What the external tests (package hosts_test, which also use
// fixtures/hostrender) need from inside the package.

// A fact only tests know: the host's "machine" read as root from a
// root-only file, filling the CPU field. MachineTable has it instead of the cpu
// row, so adding a fact is seen end to end without a snapshot field of its
// own.
const (
	FactTestMachine    = "hosts.test_machine"
	SectionTestMachine = "testmachine"
	TestMachineFile    = "/etc/csaudit-test/machine"
)

func MachineTable() []Fact {
	t := slices.DeleteFunc(slices.Clone(Table), func(f Fact) bool { return f.Name == FactCPU })
	return append(t, newFact(FactTestMachine, func(h *collectors.HostFacts) **collectors.CPUFact { return &h.CPU },
		func(in *input) (*collectors.CPUFact, error) {
			b, _, err := in.data(SectionTestMachine)
			if err != nil {
				return nil, fmt.Errorf("machine: %w", err)
			}
			return &collectors.CPUFact{FactMeta: in.meta, Model: strings.TrimSpace(string(b))}, nil
		},
		Section{Name: SectionTestMachine, Run: "r cat " + TestMachineFile, Cap: 64, Sudo: []string{"/usr/bin/cat " + TestMachineFile}}))
}

// NewForTable builds the collector for another fact table.
func NewForTable(p *sshpool.Pool, table []Fact) (*Collector, error) {
	prog, err := compile(table)
	if err != nil {
		return nil, err
	}
	return newCollector(p, nil, prog), nil
}

// ScriptFor is the script of a fact table.
func ScriptFor(table []Fact) (string, error) {
	prog, err := compile(table)
	if err != nil {
		return "", err
	}
	return prog.script, nil
}

// SudoersFor is the sudoers drop-in of a fact table.
func SudoersFor(user string, table []Fact) string { return sudoers(user, table) }

var (
	NonRootHost = nonRootHost
	SSHConfig   = sshConfig
)
