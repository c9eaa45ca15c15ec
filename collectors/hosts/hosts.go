// Package hosts collects what only the KVM hosts know, over SSH: one
// verified connection per host (an sshpool.Pool, shared with the libvirt
// collector) and one constant batched script per host, built from the fact
// table (Table), whose sections are parsed by parse… functions tested on
// captured output in testdata/.
package hosts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
)

// Collector is the "hosts" collector.
type Collector struct {
	pool    *sshpool.Pool
	poolErr error
	prog    *program
	// Progress, when set, is called after each host (done, total, failed).
	Progress func(done, total, failed int)
	now      func() time.Time
}

// New builds the hosts collector with its own connection pool. Use
// NewWithPool to share connections with the libvirt collector.
func New(cfg *collectors.Config) collectors.Collector {
	p, err := sshpool.New(cfg)
	return NewWithPool(p, err)
}

// NewWithPool builds the hosts collector on a shared pool (from sshpool.New).
func NewWithPool(p *sshpool.Pool, err error) *Collector { return newCollector(p, err, standard) }

func newCollector(p *sshpool.Pool, err error, prog *program) *Collector {
	if p != nil {
		p.Register(collectors.NameHosts)
	}
	return &Collector{pool: p, poolErr: err, prog: prog, now: time.Now}
}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return collectors.NameHosts }

// Stage implements collectors.Collector.
func (c *Collector) Stage() int { return collectors.StageTargets }

type hostResult struct {
	facts  *collectors.HostFacts
	failed map[string]string // fact -> reason
	err    error
}

// Collect visits every KVM host with bounded concurrency. A host that fails
// gets a collector error and coverage entries, and no facts.
func (c *Collector) Collect(ctx context.Context, inv *collectors.Inventory) (*collectors.Part, error) {
	if c.poolErr != nil {
		return nil, c.poolErr
	}
	part := &collectors.Part{Hosts: map[string]*collectors.HostFacts{}, Coverage: map[string]*collectors.Coverage{}}
	facts := factNames(c.prog.facts)
	for _, f := range facts {
		part.Coverage[f] = &collectors.Coverage{Collector: collectors.NameHosts, Selected: true, Collected: []string{}}
	}
	part.Coverage[FactSSH].Notes = append(part.Coverage[FactSSH].Notes, c.pool.Notes()...)
	results := make([]hostResult, len(inv.Hosts))
	var mu sync.Mutex
	done, failed, total := 0, 0, 0
	for _, t := range inv.Hosts {
		if t.IsKVM() {
			total++
		}
	}
	// Hosts skipped on cancellation count too, so the line reaches total.
	progress := func(err error) {
		if c.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		if err != nil {
			failed++
		}
		c.Progress(done, total, failed)
	}
	c.pool.EachKVM(ctx, inv, func(i int, t collectors.Target) {
		results[i] = c.collectHost(ctx, t, inv)
		progress(results[i].err)
	}, func(i int, err error) {
		results[i] = hostResult{err: err}
		progress(err)
	})
	for i, t := range inv.Hosts {
		id := t.SnapshotKey()
		if !t.IsKVM() {
			// One note per host: none of its SSH facts apply, and no check
			// expects them (they join KVM hosts only).
			part.Coverage[FactSSH].Notes = append(part.Coverage[FactSSH].Notes,
				fmt.Sprintf("%s (%s): SSH facts are not supported for hypervisor %s", t.Name, id, orUnknown(t.Hypervisor)))
			continue
		}
		r := results[i]
		if r.err != nil {
			part.Errors = append(part.Errors, collectors.CollectorError{Collector: collectors.NameHosts, Target: t.Label(), Error: r.err.Error()})
			for _, f := range facts {
				failOn(part.Coverage[f], id, r.err.Error())
			}
			continue
		}
		part.Hosts[id] = r.facts
		for _, f := range facts {
			if reason, bad := r.failed[f]; bad {
				failOn(part.Coverage[f], id, reason)
			} else {
				part.Coverage[f].Collected = append(part.Coverage[f].Collected, id)
			}
		}
	}
	for _, cv := range part.Coverage {
		sort.Strings(cv.Collected)
	}
	return part, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func failOn(cv *collectors.Coverage, id, reason string) {
	if cv.Failed == nil {
		cv.Failed = map[string]string{}
	}
	cv.Failed[id] = reason
}

func (c *Collector) collectHost(ctx context.Context, t collectors.Target, inv *collectors.Inventory) hostResult {
	defer c.pool.Done(t, inv)
	conn, err := c.pool.Get(ctx, t, inv)
	if err != nil {
		return hostResult{err: err}
	}
	start := c.now()
	out, rc, err := conn.RunScript(ctx, scriptCommand, c.prog.script, maxScriptOutput, c.prog.checkFraming)
	if err != nil {
		return hostResult{err: fmt.Errorf("%s: %w", conn.Addr, err)}
	}
	if rc != 0 {
		return hostResult{err: fmt.Errorf("%s: audit script exited with status %d (is /bin/sh a POSIX shell?)", conn.Addr, rc)}
	}
	secs, err := c.prog.split(out)
	if err != nil {
		return hostResult{err: fmt.Errorf("%s: %w", conn.Addr, err)}
	}
	at := c.now().UTC()
	facts, failed := c.prog.build(secs, at, start, conn, dbClock(inv))
	facts.HostID, facts.Name, facts.Address, facts.Hypervisor = t.ID, t.Name, conn.Addr, t.Hypervisor
	return hostResult{facts: facts, failed: failed}
}

// clockRef is what a host's clock offset is referenced to.
type clockRef struct {
	dbOffsetMS *float64 // the database clock minus the auditor's; nil: unknown
	dbSelected bool     // the database collector ran, so its clock was wanted
}

func dbClock(inv *collectors.Inventory) clockRef {
	r := clockRef{dbSelected: inv.Selected[collectors.NameDatabase]}
	if inv.Database != nil {
		r.dbOffsetMS = inv.Database.ClockOffsetMS
	}
	return r
}

// input is what a fact's parser reads: the host's sections and the
// connection they came over.
type input struct {
	secs  map[string]section
	defs  map[string]Section
	meta  collectors.FactMeta
	conn  *sshpool.Conn
	start time.Time // when the script was started
	ref   clockRef
}

// raw returns a section as the host sent it, for parsers that read every
// exit code themselves; ok is false when the output lacks it.
func (in *input) raw(name string) (section, bool) {
	s, ok := in.secs[name]
	return s, ok
}

// data returns a section's output, or why it cannot be used: 0 and the exit
// codes the table accepts for the section pass, with their output.
func (in *input) data(name string) ([]byte, int, error) {
	s, ok := in.secs[name]
	if !ok {
		return nil, 0, errors.New("section missing from the script output")
	}
	if s.Truncated {
		return nil, s.RC, fmt.Errorf("output exceeds %d bytes", in.defs[name].Cap)
	}
	if s.NotUTF8 {
		return nil, s.RC, errNotUTF8
	}
	if s.RC == 127 {
		return nil, s.RC, errors.New("command not installed on the host")
	}
	if s.RC == 126 {
		return nil, s.RC, errors.New("needs root or a sudoers entry for the audit user (see docs/hosts.md)")
	}
	if s.RC == 0 || slices.Contains(in.defs[name].Exits, s.RC) {
		return s.Out, s.RC, nil
	}
	return nil, s.RC, fmt.Errorf("exited with status %d", s.RC)
}

// build runs every row's parser over the host's sections; failed maps a
// coverage fact to the reason it is missing or not to be trusted.
func (p *program) build(secs map[string]section, at, start time.Time, conn *sshpool.Conn, ref clockRef) (*collectors.HostFacts, map[string]string) {
	in := &input{secs: secs, defs: p.sections, meta: collectors.FactMeta{CollectedAt: at}, conn: conn, start: start, ref: ref}
	h := &collectors.HostFacts{}
	failed := map[string]string{}
	for _, f := range p.facts {
		if err := fillSafely(f, in, h); err != nil {
			failed[f.Name] = err.Error()
		}
	}
	return h, failed
}

// fillSafely runs one parser over a host's output. A parser that panics on
// what a hostile or broken host sent fails that fact for that host only:
// host parsers run in the pool's goroutines, where a panic would end the
// whole audit. The panic value is not quoted (it may hold the output).
func fillSafely(f Fact, in *input, h *collectors.HostFacts) (err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("the parser failed on this host's output (a csaudit bug; please report it)")
		}
	}()
	return f.fill(in, h)
}
