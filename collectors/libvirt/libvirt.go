// Package libvirt lists each KVM host's domains through libvirt, reached
// over the host's SSH connection from the pool it shares with the hosts
// collector (sshpool): the unix
// socket (read-only by default) is forwarded with direct-streamlocal and
// spoken to by go-libvirt. Where stream forwarding is refused, `virsh -r`
// over the same connection answers instead.
package libvirt

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
)

// FactDomains is the coverage fact of this collector.
const FactDomains = "libvirt.domains"

// Collector is the "libvirt" collector.
type Collector struct {
	pool    *sshpool.Pool
	err     error
	socket  string
	uri     string
	virshFn string // the constant virsh fallback command, built once
}

// New builds the collector with its own SSH pool; NewWithPool shares the
// hosts collector's connections (one connection per host).
func New(cfg *collectors.Config) collectors.Collector {
	p, err := sshpool.New(cfg)
	return NewWithPool(cfg, p, err)
}

// NewWithPool builds the collector on a shared pool.
func NewWithPool(cfg *collectors.Config, p *sshpool.Pool, poolErr error) *Collector {
	var lc collectors.LibvirtConfig
	if cfg != nil {
		lc = cfg.Libvirt.WithDefaults() // LoadConfig applied them already
	} else {
		lc = (*collectors.LibvirtConfig)(nil).WithDefaults()
	}
	c := &Collector{pool: p, err: poolErr, socket: lc.Socket, uri: lc.URI}
	if p != nil {
		p.Register(collectors.NameLibvirt)
	}
	if c.err == nil {
		if _, err := sshpool.Quote(c.socket); err != nil {
			c.err = fmt.Errorf("libvirt.socket: %w", err)
		} else if c.virshFn, err = virshCommand(c.uri); err != nil {
			c.err = fmt.Errorf("libvirt.uri: %w", err)
		}
	}
	return c
}

// virshCommand is the fallback: names with uuids, then state and reason of
// every domain, in one round trip. The URI passes the same validation and
// quoting as any configured path.
func virshCommand(uri string) (string, error) {
	q, err := sshpool.QuoteURI(uri)
	if err != nil {
		return "", err
	}
	return "virsh -r -c " + q + " list --all --uuid --name && echo " + DomstatsMarker +
		" && virsh -r -c " + q + " domstats --state --list-active --list-inactive", nil
}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return collectors.NameLibvirt }

// Stage implements collectors.Collector.
func (c *Collector) Stage() int { return collectors.StageTargets }

type result struct {
	fact *collectors.DomainsFact
	err  error
	// socketErr is why the socket failed when virsh answered instead: a
	// coverage note, so the operator learns the socket path is broken.
	socketErr error
}

// Collect lists the domains of every KVM host.
func (c *Collector) Collect(ctx context.Context, inv *collectors.Inventory) (*collectors.Part, error) {
	if c.err != nil {
		// Release this collector's share of each host's connection so the
		// hosts collector's connections still close.
		if c.pool != nil {
			for _, t := range inv.Hosts {
				if t.IsKVM() {
					c.pool.Done(t, inv)
				}
			}
		}
		return nil, c.err
	}
	part := &collectors.Part{Hosts: map[string]*collectors.HostFacts{}, Coverage: map[string]*collectors.Coverage{
		FactDomains: {Collector: collectors.NameLibvirt, Selected: true, Collected: []string{}},
	}}
	cv := part.Coverage[FactDomains]
	results := make([]result, len(inv.Hosts))
	c.pool.EachKVM(ctx, inv, func(i int, t collectors.Target) {
		results[i] = c.collectHost(ctx, t, inv)
	}, func(i int, err error) { results[i] = result{err: err} })
	for i, t := range inv.Hosts {
		if !t.IsKVM() {
			cv.Notes = append(cv.Notes, fmt.Sprintf("%s (%s): libvirt is not used by hypervisor %s", t.Name, t.SnapshotKey(), t.Hypervisor))
			continue
		}
		r := results[i]
		if r.err != nil {
			part.Errors = append(part.Errors, collectors.CollectorError{Collector: collectors.NameLibvirt, Target: t.Label(), Error: r.err.Error()})
			if cv.Failed == nil {
				cv.Failed = map[string]string{}
			}
			cv.Failed[t.SnapshotKey()] = r.err.Error()
			continue
		}
		if r.socketErr != nil {
			cv.Notes = append(cv.Notes, fmt.Sprintf("%s (%s): domains from the virsh -r fallback; the libvirt socket failed: %v", t.Name, t.SnapshotKey(), r.socketErr))
		}
		part.Hosts[t.SnapshotKey()] = &collectors.HostFacts{HostID: t.ID, Name: t.Name, Address: c.pool.Address(t), Hypervisor: t.Hypervisor, Domains: r.fact}
		cv.Collected = append(cv.Collected, t.SnapshotKey())
	}
	sort.Strings(cv.Collected)
	return part, nil
}

func (c *Collector) collectHost(ctx context.Context, t collectors.Target, inv *collectors.Inventory) result {
	defer c.pool.Done(t, inv)
	conn, err := c.pool.Get(ctx, t, inv)
	if err != nil {
		return result{err: err}
	}
	doms, rpcErr := c.viaSocket(ctx, conn)
	source := "libvirt"
	if rpcErr != nil {
		var verr error
		doms, verr = c.viaVirsh(ctx, conn)
		if verr != nil {
			return result{err: fmt.Errorf("libvirt socket: %v; virsh fallback: %v", rpcErr, verr)}
		}
		source = "virsh"
	}
	sort.Slice(doms, func(i, j int) bool {
		return doms[i].Name < doms[j].Name || doms[i].Name == doms[j].Name && doms[i].UUID < doms[j].UUID
	})
	if doms == nil {
		doms = []collectors.Domain{} // a host without VMs: [], as the snapshot schema says, not null
	}
	return result{fact: &collectors.DomainsFact{FactMeta: collectors.FactMeta{CollectedAt: time.Now().UTC()}, Source: source, Domains: doms}, socketErr: rpcErr}
}

// viaSocket lists domains with two RPCs whatever their number, sent
// together (one round trip): the domain list (names, uuids) and the state
// stats of all domains.
func (c *Collector) viaSocket(ctx context.Context, conn *sshpool.Conn) ([]collectors.Domain, error) {
	uc, err := conn.Client.Dial("unix", c.socket)
	if err != nil {
		return nil, fmt.Errorf("forwarding %s: %w", c.socket, err)
	}
	type out struct {
		doms []collectors.Domain
		err  error
	}
	ch := make(chan out, 1)
	go func() {
		l := golibvirt.NewWithDialer(dialers.NewAlreadyConnected(uc))
		if err := l.ConnectToURI(golibvirt.ConnectURI(c.uri)); err != nil {
			ch <- out{err: fmt.Errorf("connect %s: %w", c.uri, err)}
			uc.Close()
			return
		}
		// Closing the forwarded channel ends the session: a ConnectClose
		// first would cost a round trip for nothing on a read-only socket.
		defer uc.Close()
		doms, err := listDomains(l)
		ch <- out{doms, err}
	}()
	timer := time.NewTimer(c.pool.CommandTimeout)
	defer timer.Stop()
	select {
	case o := <-ch:
		return o.doms, o.err
	case <-timer.C:
		uc.Close()
		return nil, fmt.Errorf("libvirt did not answer within %s", c.pool.CommandTimeout)
	case <-ctx.Done():
		uc.Close()
		return nil, ctx.Err()
	}
}

func listDomains(l *golibvirt.Libvirt) ([]collectors.Domain, error) {
	// go-libvirt matches replies to calls by serial: both calls are in
	// flight at once.
	type listed struct {
		all []golibvirt.Domain
		err error
	}
	lc := make(chan listed, 1)
	go func() {
		all, _, err := l.ConnectListAllDomains(1, golibvirt.ConnectListDomainsActive|golibvirt.ConnectListDomainsInactive)
		lc <- listed{all, err}
	}()
	stats, err := l.ConnectGetAllDomainStats(nil, uint32(golibvirt.DomainStatsState),
		uint32(golibvirt.ConnectGetAllDomainsStatsActive|golibvirt.ConnectGetAllDomainsStatsInactive))
	ls := <-lc
	all := ls.all
	if ls.err != nil {
		return nil, fmt.Errorf("list domains: %w", ls.err)
	}
	type sr struct{ state, reason int64 }
	byUUID := map[golibvirt.UUID]sr{}
	if err != nil {
		// A daemon without bulk stats: list by state instead (four calls,
		// states without reasons).
		for _, f := range []struct {
			flag  golibvirt.ConnectListAllDomainsFlags
			state int64
		}{
			{golibvirt.ConnectListDomainsRunning, 1}, {golibvirt.ConnectListDomainsPaused, 3},
			{golibvirt.ConnectListDomainsShutoff, 5}, {golibvirt.ConnectListDomainsOther, -1},
		} {
			ds, _, lerr := l.ConnectListAllDomains(1, f.flag)
			if lerr != nil {
				return nil, fmt.Errorf("domain states: %w (bulk stats: %v)", lerr, err)
			}
			for _, d := range ds {
				byUUID[d.UUID] = sr{f.state, -1}
			}
		}
	}
	for _, r := range stats {
		var s sr
		for _, p := range r.Params {
			switch p.Field {
			case "state.state":
				s.state = typedInt(p.Value.I)
			case "state.reason":
				s.reason = typedInt(p.Value.I)
			}
		}
		byUUID[r.Dom.UUID] = s
	}
	out := make([]collectors.Domain, 0, len(all))
	for _, d := range all {
		d2 := collectors.Domain{Name: d.Name, UUID: formatUUID(d.UUID)}
		if s, ok := byUUID[d.UUID]; ok {
			d2.State = StateName(s.state)
			if s.reason >= 0 {
				d2.Reason = ReasonName(s.state, s.reason)
			}
		} else {
			// Created or undefined between the two calls.
			d2.State = "unknown"
		}
		out = append(out, d2)
	}
	return out, nil
}

func typedInt(v any) int64 {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case int64:
		return x
	case uint64:
		return int64(x)
	}
	return -1
}

func formatUUID(u golibvirt.UUID) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// viaVirsh runs the constant fallback command over the same connection.
func (c *Collector) viaVirsh(ctx context.Context, conn *sshpool.Conn) ([]collectors.Domain, error) {
	out, rc, err := conn.Run(ctx, c.virshFn, maxVirshOutput)
	if err != nil {
		return nil, err
	}
	if rc == 127 {
		return nil, errors.New("virsh is not installed")
	}
	if rc != 0 {
		return nil, fmt.Errorf("virsh exited with status %d", rc)
	}
	return parseVirsh(out)
}
