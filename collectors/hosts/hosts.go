// Package hosts collects what only the KVM hosts know, over SSH: one
// verified connection per host (shared with the libvirt collector through a
// Pool) and one constant batched script per host, whose sections are parsed
// by parse… functions tested on captured output in testdata/.
package hosts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/csaudit/csaudit/collectors"
)

// Coverage fact names this collector reports.
const (
	FactAgent      = "hosts.agent"
	FactProperties = "hosts.agent_properties"
	FactFiles      = "hosts.files"
	FactListeners  = "hosts.listeners"
	FactLibvirtd   = "hosts.libvirtd"
	FactFirewall   = "hosts.firewall"
	FactInterfaces = "hosts.interfaces"
	FactPackages   = "hosts.packages"
	FactClock      = "hosts.clock"
	FactSSH        = "hosts.ssh"
	FactCert       = "hosts.agent_cert"
	FactCPU        = "hosts.cpu"
)

// Facts lists every coverage fact of the hosts collector.
var Facts = []string{FactAgent, FactProperties, FactFiles, FactListeners, FactLibvirtd, FactFirewall,
	FactInterfaces, FactPackages, FactClock, FactSSH, FactCert, FactCPU}

// Collector is the "hosts" collector.
type Collector struct {
	pool    *Pool
	poolErr error
	// Progress, when set, is called after each host (done, total, failed).
	Progress func(done, total, failed int)
	now      func() time.Time
}

// New builds the hosts collector with its own connection pool. Use
// NewWithPool to share connections with the libvirt collector.
func New(cfg *collectors.Config) collectors.Collector {
	p, err := NewPool(cfg)
	return newCollector(p, err)
}

// NewWithPool builds the hosts collector on a shared pool (from NewPool).
func NewWithPool(p *Pool, err error) *Collector { return newCollector(p, err) }

func newCollector(p *Pool, err error) *Collector {
	if p != nil {
		p.Register(collectors.NameHosts)
	}
	return &Collector{pool: p, poolErr: err, now: time.Now}
}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return collectors.NameHosts }

// Stage implements collectors.Collector.
func (c *Collector) Stage() int { return collectors.StageTargets }

// HostKey is the key of a host's facts and coverage: its uuid, or for an
// inventory entry without one, its name or address.
func HostKey(t collectors.Target) string {
	for _, k := range []string{t.UUID, t.Name, t.Address} {
		if k != "" {
			return k
		}
	}
	return ""
}

// IsKVM says whether SSH facts apply to a host. An inventory entry without a
// hypervisor is taken as KVM: the user listed it to be visited.
func IsKVM(t collectors.Target) bool {
	return t.Hypervisor == "" || strings.EqualFold(t.Hypervisor, "KVM")
}

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
	for _, f := range Facts {
		part.Coverage[f] = &collectors.Coverage{Collector: collectors.NameHosts, Selected: true, Collected: []string{}}
	}
	part.Coverage[FactSSH].Notes = append(part.Coverage[FactSSH].Notes, c.pool.authNotes...)
	if c.pool.cfg.AcceptNewHostKeys {
		part.Coverage[FactSSH].Notes = append(part.Coverage[FactSSH].Notes,
			"ssh.accept_new_host_keys is on: unknown host keys were accepted (see each host's ssh.error)")
	}
	results := make([]hostResult, len(inv.Hosts))
	var mu sync.Mutex
	done, failed, total := 0, 0, 0
	for _, t := range inv.Hosts {
		if IsKVM(t) {
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
		id := HostKey(t)
		if !IsKVM(t) {
			// One note per host: none of its SSH facts apply, and no check
			// expects them (they join KVM hosts only).
			part.Coverage[FactSSH].Notes = append(part.Coverage[FactSSH].Notes,
				fmt.Sprintf("%s (%s): SSH facts are not supported for hypervisor %s", t.Name, id, orUnknown(t.Hypervisor)))
			continue
		}
		r := results[i]
		if r.err != nil {
			part.Errors = append(part.Errors, collectors.CollectorError{Collector: collectors.NameHosts, Target: targetName(t), Error: r.err.Error()})
			for _, f := range Facts {
				failOn(part.Coverage[f], id, r.err.Error())
			}
			continue
		}
		part.Hosts[id] = r.facts
		for _, f := range Facts {
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

func targetName(t collectors.Target) string {
	if t.Name != "" {
		return t.Name
	}
	if t.UUID != "" {
		return t.UUID
	}
	return t.Address
}

func (c *Collector) collectHost(ctx context.Context, t collectors.Target, inv *collectors.Inventory) hostResult {
	defer c.pool.Done(t, inv)
	conn, err := c.pool.Get(ctx, t, inv)
	if err != nil {
		return hostResult{err: err}
	}
	start := c.now()
	out, rc, err := conn.run(ctx, scriptCommand, script, maxScriptOutput, checkFraming)
	if err != nil {
		return hostResult{err: fmt.Errorf("%s: %w", conn.Addr, err)}
	}
	if rc != 0 {
		return hostResult{err: fmt.Errorf("%s: audit script exited with status %d (is /bin/sh a POSIX shell?)", conn.Addr, rc)}
	}
	secs, err := splitSections(out)
	if err != nil {
		return hostResult{err: fmt.Errorf("%s: %w", conn.Addr, err)}
	}
	at := c.now().UTC()
	facts, failed := buildFacts(secs, at, start, conn, dbClock(inv))
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

// sectionData returns a section's output or why it cannot be used.
func sectionData(secs map[string]section, name string, okRC ...int) ([]byte, int, error) {
	s, ok := secs[name]
	if !ok {
		return nil, 0, errors.New("section missing from the script output")
	}
	if s.Truncated {
		return nil, s.RC, fmt.Errorf("output exceeds %d bytes", sectionLimits[name])
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
	for _, r := range append(okRC, 0) {
		if s.RC == r {
			return s.Out, s.RC, nil
		}
	}
	return nil, s.RC, fmt.Errorf("exited with status %d", s.RC)
}

// buildFacts turns the sections into facts; failed maps a coverage fact to
// the reason it is missing.
func buildFacts(secs map[string]section, at, start time.Time, conn *Conn, ref clockRef) (*collectors.HostFacts, map[string]string) {
	h := &collectors.HostFacts{}
	failed := map[string]string{}
	meta := collectors.FactMeta{CollectedAt: at}
	fail := func(fact, what string, err error) { failed[fact] = what + ": " + err.Error() }

	if s, ok := secs[secAgent]; !ok {
		fail(FactAgent, "systemctl", errors.New("section missing"))
	} else if s.NotUTF8 {
		fail(FactAgent, "systemctl", errNotUTF8)
	} else if st, err := parseAgent(s.Out, s.RC); err != nil {
		fail(FactAgent, "systemctl", err)
	} else {
		h.Agent = &collectors.AgentFact{FactMeta: meta, State: st}
	}

	// The props section returns 2 when agent.properties does not exist: the
	// fact is then an empty map with an error note, not a guess.
	if b, rc, err := sectionData(secs, secProps, 2); err != nil {
		fail(FactProperties, "agent.properties", err)
	} else if rc == 2 {
		fail(FactProperties, "agent.properties", errors.New(agentProperties+" does not exist"))
	} else {
		h.Properties = &collectors.PropertiesFact{FactMeta: meta, Values: parseProps(b)}
	}

	lv := &collectors.LibvirtdConfFact{FactMeta: meta}
	if b, rc, err := sectionData(secs, secLibvirtd, 2); err != nil {
		fail(FactLibvirtd, "libvirtd.conf", err)
	} else {
		lv.Values = parseLibvirtdConf(b)
		if rc == 2 {
			lv.Error = libvirtdConf + " does not exist"
		}
		h.Libvirtd = lv
	}

	var units map[string]string
	if b, _, err := sectionData(secs, secUnits); err == nil {
		if _, u, err := parseUnits(b); err == nil {
			units = u
		}
	}
	if b, _, err := sectionData(secs, secSS); err != nil {
		fail(FactListeners, "ss", err)
	} else if ls, err := parseSS(b); err != nil {
		fail(FactListeners, "ss", err)
	} else {
		h.Listeners = &collectors.ListenersFact{FactMeta: meta, Listeners: ls, Units: units}
	}

	ipt, nft := secs[secIptables], secs[secNft]
	var iptp, nftp *section
	if _, ok := secs[secIptables]; ok {
		iptp = &ipt
	}
	if _, ok := secs[secNft]; ok {
		nftp = &nft
	}
	var ipt6p *section
	if s, ok := secs[secIp6]; ok {
		ipt6p = &s
	}
	if fw, err := firewallFact(iptp, nftp, ipt6p); err != nil {
		fail(FactFirewall, "firewall", err)
	} else {
		fw.FactMeta = meta
		h.Firewall = fw
		// The verdicts stay as evidence, but a port the interpreter could
		// not decide fails the fact for this host: its checks then report
		// error, never a pass.
		if why := indeterminate(fw); why != "" {
			failed[FactFirewall] = "indeterminate: " + why
		}
	}

	if lb, _, err := sectionData(secs, secLink); err != nil {
		fail(FactInterfaces, "ip link", err)
	} else {
		// Without `ip -j addr` the links carry no addresses; with mangled
		// text they are not trusted at all.
		ab, _, aerr := sectionData(secs, secAddr)
		if errors.Is(aerr, errNotUTF8) {
			fail(FactInterfaces, "ip addr", aerr)
		} else if links, err := parseLinks(lb, ab); err != nil {
			fail(FactInterfaces, "ip", err)
		} else {
			h.Interfaces = &collectors.InterfacesFact{FactMeta: meta, Links: links}
		}
	}

	if b, _, err := sectionData(secs, secFiles); err != nil {
		fail(FactFiles, "stat", err)
	} else if fs, err := parseFiles(b); err != nil {
		fail(FactFiles, "stat", err)
	} else {
		h.Files = &collectors.FilesFact{FactMeta: meta, Files: fs}
	}

	if b, rc, err := sectionData(secs, secCert, 2); err != nil {
		fail(FactCert, "agent certificate", err)
	} else if rc == 2 {
		fail(FactCert, "agent certificate", errors.New(agentCert+" does not exist"))
	} else if cf, err := parseCert(b); err != nil {
		fail(FactCert, "agent certificate", err)
	} else {
		cf.FactMeta = meta
		h.Cert = cf
	}

	if b, _, err := sectionData(secs, secPackages); err != nil {
		fail(FactPackages, "packages", err)
	} else if mgr, vs, err := parsePackages(b); err != nil {
		fail(FactPackages, "packages", err)
	} else {
		h.Packages = &collectors.PackagesFact{FactMeta: meta, Manager: mgr, Versions: vs}
	}

	if b, _, err := sectionData(secs, secCPU); err != nil {
		fail(FactCPU, "cpuinfo", err)
	} else if m, err := parseCPU(b); err != nil {
		fail(FactCPU, "cpuinfo", err)
	} else {
		h.CPU = &collectors.CPUFact{FactMeta: meta, Model: m}
	}

	// The clock section runs first and is the first output line: the host
	// read its clock about half a round trip before that line arrived. That
	// gives the offset against the auditor's clock (±RTT/2); the database
	// collector's offset against the same clock (±its own half round trip)
	// is subtracted, so offset_ms is against the database's clock.
	if b, _, err := sectionData(secs, secClock); err != nil {
		fail(FactClock, "date", err)
	} else if ht, err := parseClock(b); err != nil {
		fail(FactClock, "date", err)
	} else {
		cf := &collectors.ClockFact{FactMeta: meta, Reference: "auditor"}
		at := conn.FirstLine.Add(-conn.RTT / 2)
		if conn.FirstLine.IsZero() {
			at = start.Add(conn.RTT * 3 / 2)
		}
		cf.OffsetMS = float64(ht.Sub(at.Round(0)).Microseconds()) / 1000
		switch {
		case ref.dbOffsetMS != nil:
			cf.OffsetMS = math.Round((cf.OffsetMS-*ref.dbOffsetMS)*1000) / 1000
			cf.Reference = "database"
		case ref.dbSelected:
			// Kept as evidence; the skew against the database is unknown.
			failed[FactClock] = "database clock unknown: offset_ms is against the auditor's clock"
		}
		if b, _, err := sectionData(secs, secTimeSync); err == nil {
			if syn, _, err := parseTimeSync(b); err == nil {
				cf.Synchronized = syn
			}
		}
		h.Clock = cf
	}

	h.SSH = &collectors.SSHFact{FactMeta: meta, RTTMS: float64(conn.RTT.Microseconds()) / 1000}
	if conn.NewKey != "" {
		h.SSH.Error = "host key was not in known_hosts and was accepted (ssh.accept_new_host_keys): " + conn.NewKey
	}
	return h, failed
}

var errNotUTF8 = errors.New("output is not valid UTF-8")

// indeterminate names the audited ports (IPv4 and IPv6) whose verdict is
// indeterminate, with the interpreter's reasons; "" when every port is decided.
func indeterminate(fw *collectors.FirewallFact) string {
	var out []string
	for _, fam := range []struct {
		name  string
		ports map[string]collectors.PortVerdict
	}{{"IPv4", fw.Ports}, {"IPv6", fw.Ports6}} {
		for _, p := range AuditedPorts {
			if v, ok := fam.ports[strconv.Itoa(p)]; ok && v.Verdict == VerdictIndeterminate {
				out = append(out, fmt.Sprintf("port %d (%s): %s", p, fam.name, v.Reason))
			}
		}
	}
	return strings.Join(out, "; ")
}
