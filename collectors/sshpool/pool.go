// Package sshpool is the SSH layer the hosts and libvirt collectors share:
// one verified connection per host per run (known_hosts with pinned key
// algorithms, @cert-authority, an optional jump host), commands run with a
// timeout and an output cap, keyscan for review, and the one function that
// quotes a configured value into a host command.
package sshpool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/csaudit/csaudit/collectors"
)

// Pool holds one SSH connection per host, shared by every collector that
// registered with it (hosts and libvirt): a host is dialled and its key
// verified once per run, and a host that failed fails the same way for all.
// A connection closes when the last registered collector that was selected
// for the run is done with that host.
type Pool struct {
	User           string
	Concurrency    int
	ConnectTimeout time.Duration
	CommandTimeout time.Duration

	// DialContext opens the TCP connection to a host or the jump host; tests
	// replace it (e.g. to dial into a network namespace).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	cfg         collectors.SSHConfig
	knownHosts  []string
	known       *khIndex
	verify      ssh.HostKeyCallback
	signers     []ssh.Signer
	agentSocket string
	authNotes   []string
	// dials bounds handshakes in flight across all sharers, so two
	// collectors at Concurrency each do not double the load on hosts and
	// the auditor.
	dials chan struct{}

	mu     sync.Mutex
	users  []string
	conns  map[string]*entry
	jump   *entry
	closed bool
}

type entry struct {
	ready     chan struct{}
	client    *ssh.Client
	err       error
	remaining int
	started   bool
	rtt       time.Duration
	newKey    string // fingerprint of a key accepted under accept_new_host_keys
}

// New validates the ssh section and loads keys and known_hosts; it dials
// nothing.
func New(cfg *collectors.Config) (*Pool, error) {
	if cfg == nil || cfg.SSH == nil {
		return nil, errors.New("ssh: section missing")
	}
	s := cfg.SSH.WithDefaults()
	p := &Pool{
		User: s.User, Concurrency: s.Concurrency,
		ConnectTimeout: time.Duration(s.ConnectTimeout), CommandTimeout: time.Duration(s.CommandTimeout),
		cfg: s, conns: map[string]*entry{},
	}
	d := &net.Dialer{}
	p.DialContext = d.DialContext
	p.dials = make(chan struct{}, p.Concurrency)

	kh := expandHome(s.KnownHosts)
	p.knownHosts = []string{kh}
	idx, err := loadKnown(p.knownHosts)
	if err != nil {
		return nil, fmt.Errorf("ssh.known_hosts %s: %w", kh, err)
	}
	p.known = idx
	if _, err := os.Stat(kh); err == nil {
		cb, err := knownhosts.New(kh)
		if err != nil {
			return nil, fmt.Errorf("ssh.known_hosts %s: %w", kh, err)
		}
		p.verify = cb
	} else if !s.AcceptNewHostKeys {
		return nil, fmt.Errorf("ssh.known_hosts %s does not exist (collect keys with `csaudit ssh keyscan`, review them, or opt in with ssh.accept_new_host_keys)", kh)
	}

	for _, f := range s.IdentityFiles {
		f = expandHome(f)
		b, err := collectors.ReadFileCapped(f, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("ssh.identity_files %s: %w", f, err)
		}
		sg, err := ssh.ParsePrivateKey(b)
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			p.authNotes = append(p.authNotes, f+" is passphrase-protected; load it into ssh-agent")
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ssh.identity_files %s: not a private key", f)
		}
		p.signers = append(p.signers, sg)
	}
	if *s.UseAgent {
		p.agentSocket = os.Getenv("SSH_AUTH_SOCK")
	}
	if len(p.signers) == 0 && p.agentSocket == "" {
		return nil, errors.New("ssh: no usable identity file and no ssh-agent (SSH_AUTH_SOCK)")
	}
	return p, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}

// Notes are coverage notes on how hosts were authenticated and verified:
// identity files that could not be used, and whether unknown host keys were
// accepted.
func (p *Pool) Notes() []string {
	notes := slices.Clone(p.authNotes)
	if p.cfg.AcceptNewHostKeys {
		notes = append(notes, "ssh.accept_new_host_keys is on: unknown host keys were accepted (see each host's ssh.error)")
	}
	return notes
}

// Register adds a collector that shares the pool's connections.
func (p *Pool) Register(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users = append(p.users, name)
}

func (p *Pool) sharers(inv *collectors.Inventory) int {
	n := 0
	for _, u := range p.users {
		if inv == nil || inv.Selected == nil || inv.Selected[u] {
			n++
		}
	}
	return max(n, 1)
}

// Address is where a host is dialled: ssh.addresses by name, uuid or address,
// else the host's address on port 22.
func (p *Pool) Address(t collectors.Target) string {
	for _, k := range []string{t.Name, t.UUID, t.Address} {
		if a, ok := p.cfg.Addresses[k]; ok && k != "" {
			return withPort(a)
		}
	}
	return withPort(t.Address)
}

func withPort(a string) string {
	if _, _, err := net.SplitHostPort(a); err == nil {
		return a
	}
	return net.JoinHostPort(strings.Trim(a, "[]"), "22")
}

// Conn is a verified SSH connection to one host.
type Conn struct {
	Client *ssh.Client
	Addr   string
	// RTT is the round trip of the first session-open on this Conn (OpenSSH
	// confirms a channel without forking, so it is one network round trip);
	// zero before the first Run.
	RTT time.Duration
	// FirstLine is when the last Run's first output line arrived (the
	// script's clock section), for the clock offset.
	FirstLine time.Time
	// NewKey is set when the host key was unknown and accepted because
	// ssh.accept_new_host_keys is on: its SHA256 fingerprint.
	NewKey string
	pool   *Pool
	e      *entry
}

// Get returns the host's connection, dialling it on first use. Every caller
// for the same host gets the same connection or the same error.
func (p *Pool) Get(ctx context.Context, t collectors.Target, inv *collectors.Inventory) (*Conn, error) {
	addr := p.Address(t)
	key := t.SnapshotKey() + "|" + addr
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("ssh pool closed")
	}
	e := p.entryLocked(key, inv)
	first := !e.started
	e.started = true
	p.mu.Unlock()
	if first {
		select {
		case p.dials <- struct{}{}:
			e.client, e.rtt, e.newKey, e.err = p.dial(ctx, addr, p.User, false)
			<-p.dials
		case <-ctx.Done():
			e.err = ctx.Err()
		}
		p.mu.Lock()
		if p.closed && e.client != nil {
			e.client.Close()
			e.client, e.err = nil, errors.New("ssh pool closed")
		}
		p.mu.Unlock()
		close(e.ready)
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if e.err != nil {
		return nil, e.err
	}
	return &Conn{Client: e.client, Addr: addr, RTT: e.rtt, NewKey: e.newKey, pool: p, e: e}, nil
}

func (p *Pool) entryLocked(key string, inv *collectors.Inventory) *entry {
	e := p.conns[key]
	if e == nil {
		e = &entry{ready: make(chan struct{}), remaining: p.sharers(inv)}
		p.conns[key] = e
	}
	return e
}

// Done tells the pool one collector has finished with the host; the last
// sharer closes the connection. Call it whether or not Get succeeded.
func (p *Pool) Done(t collectors.Target, inv *collectors.Inventory) {
	key := t.SnapshotKey() + "|" + p.Address(t)
	p.mu.Lock()
	e := p.entryLocked(key, inv)
	e.remaining--
	// A sharer may finish before another has asked for the host at all
	// (e.g. a collector that failed its config); the connection is then
	// closed by the last sharer that did dial.
	last := e.remaining <= 0 && e.started
	p.mu.Unlock()
	if last {
		<-e.ready
		if e.client != nil {
			e.client.Close()
		}
	}
}

// Close closes every connection, the jump host's last.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = map[string]*entry{}
	j := p.jump
	p.mu.Unlock()
	for _, e := range conns {
		select {
		case <-e.ready:
			if e.client != nil {
				e.client.Close()
			}
		default:
		}
	}
	if j != nil {
		select {
		case <-j.ready:
			if j.client != nil {
				j.client.Close()
			}
		default:
		}
	}
}

// HostKeyError is an SSH host key that is unknown or differs from known_hosts.
type HostKeyError struct {
	Addr    string
	Changed bool
}

func (e *HostKeyError) Error() string {
	if e.Changed {
		return "host key for " + e.Addr + " does not match known_hosts (host reinstalled or connection intercepted); not collected"
	}
	return "host key for " + e.Addr + " is not in known_hosts (review it with `csaudit ssh keyscan`, or opt in with ssh.accept_new_host_keys)"
}

// clientConfig builds the handshake config for one host. The returned func
// closes the ssh-agent connection, which must stay open until the handshake
// has used the agent's signers.
func (p *Pool) clientConfig(addr, user string) (*ssh.ClientConfig, *string, func(), error) {
	known := p.known.lookup(addr)
	if known.empty() && !p.cfg.AcceptNewHostKeys {
		return nil, nil, nil, &HostKeyError{Addr: addr}
	}
	var agentConn net.Conn
	closeAgent := func() {
		if agentConn != nil {
			agentConn.Close()
		}
	}
	var newKey string
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if p.verify != nil {
			err := p.verify(hostname, remote, key)
			if err == nil {
				return nil
			}
			var ke *knownhosts.KeyError
			if !errors.As(err, &ke) {
				return err
			}
			if len(ke.Want) > 0 || !known.empty() {
				return &HostKeyError{Addr: addr, Changed: true}
			}
		}
		if !p.cfg.AcceptNewHostKeys {
			return &HostKeyError{Addr: addr}
		}
		newKey = ssh.FingerprintSHA256(key)
		return nil
	}
	auth := ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		out := append([]ssh.Signer(nil), p.signers...)
		if p.agentSocket != "" && agentConn == nil {
			c, err := net.DialTimeout("unix", p.agentSocket, 2*time.Second)
			if err == nil {
				agentConn = c
				if s, err := agent.NewClient(c).Signers(); err == nil {
					out = append(out, s...)
				}
			}
		}
		return out, nil
	})
	cc := &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{auth},
		HostKeyCallback:   cb,
		HostKeyAlgorithms: known.hostKeyAlgorithms(),
		Timeout:           p.ConnectTimeout,
	}
	return cc, &newKey, closeAgent, nil
}

func (p *Pool) dial(ctx context.Context, addr, user string, direct bool) (*ssh.Client, time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.ConnectTimeout)
	defer cancel()
	cc, newKey, closeAgent, err := p.clientConfig(addr, user)
	if err != nil {
		return nil, 0, "", err
	}
	defer closeAgent()
	var raw net.Conn
	if p.cfg.JumpHost != "" && !direct {
		j, err := p.jumpClient(ctx)
		if err != nil {
			return nil, 0, "", err
		}
		raw, err = j.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, 0, "", fmt.Errorf("through jump host: %w", err)
		}
	} else if raw, err = p.DialContext(ctx, "tcp", addr); err != nil {
		return nil, 0, "", fmt.Errorf("connect %s: %w", addr, trimOp(err))
	}
	// The handshake obeys the connect timeout and the context.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	_ = raw.SetDeadline(time.Now().Add(p.ConnectTimeout))
	c, chans, reqs, err := ssh.NewClientConn(raw, addr, cc)
	stopped := stop()
	if err != nil {
		raw.Close()
		var he *HostKeyError
		if errors.As(err, &he) {
			return nil, 0, "", he
		}
		if !stopped || ctx.Err() != nil {
			return nil, 0, "", fmt.Errorf("ssh handshake with %s: timed out after %s", addr, p.ConnectTimeout)
		}
		if strings.Contains(err.Error(), "no common algorithm for host key") {
			// Pinned to the known types, the host offered none of them: its
			// keys changed (or known_hosts lists a type it never had).
			return nil, 0, "", fmt.Errorf("host key for %s: the host offers none of the key types known_hosts has for it; not collected", addr)
		}
		return nil, 0, "", fmt.Errorf("ssh handshake with %s: %w", addr, trimOp(err))
	}
	_ = raw.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), 0, *newKey, nil
}

// jumpClient dials the ProxyJump host once; its key is verified like any
// other host's.
func (p *Pool) jumpClient(ctx context.Context) (*ssh.Client, error) {
	p.mu.Lock()
	j := p.jump
	first := j == nil
	if first {
		j = &entry{ready: make(chan struct{})}
		p.jump = j
	}
	p.mu.Unlock()
	if first {
		user, host, ok := strings.Cut(p.cfg.JumpHost, "@")
		if !ok {
			user, host = p.User, p.cfg.JumpHost
		}
		j.client, _, _, j.err = p.dial(ctx, withPort(host), user, true)
		if j.err != nil {
			j.err = fmt.Errorf("jump host: %w", j.err)
		}
		close(j.ready)
	}
	select {
	case <-j.ready:
		return j.client, j.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// trimOp drops the *net.OpError wrapper's repeated addresses.
func trimOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// errOutputLimit is returned when a command writes more than allowed.
var errOutputLimit = errors.New("output exceeds the size limit")

type capped struct {
	buf   []byte
	limit int64
	over  chan struct{}
	once  sync.Once
	err   error
	// check, when set, validates the output as it arrives, so a host that
	// floods or sends garbage is cut off at once instead of at the limit.
	check func(buf []byte, from int) error
	// firstLine is when the first complete output line arrived.
	firstLine time.Time
}

func (c *capped) Write(b []byte) (int, error) {
	if int64(len(c.buf)+len(b)) > c.limit {
		c.stop(errOutputLimit)
		return 0, errOutputLimit
	}
	from := len(c.buf)
	c.buf = append(c.buf, b...)
	if c.firstLine.IsZero() && bytes.IndexByte(b, '\n') >= 0 {
		c.firstLine = time.Now()
	}
	if c.check != nil {
		if err := c.check(c.buf, from); err != nil {
			c.stop(err)
			return 0, err
		}
	}
	return len(b), nil
}

func (c *capped) stop(err error) {
	c.once.Do(func() {
		c.err = err
		close(c.over)
	})
}

// Run executes one constant command in one session, reading at most limit
// bytes of stdout. A timeout or an output flood closes the whole connection,
// since a hung host cannot be trusted to honour a session close.
func (c *Conn) Run(ctx context.Context, cmd string, limit int64) ([]byte, int, error) {
	return c.RunScript(ctx, cmd, "", limit, nil)
}

// RunScript is Run with stdin (if not empty) as the command's standard input
// and check, when set, validating the output as it arrives: an error from
// check cuts the host off at once instead of at the limit.
func (c *Conn) RunScript(ctx context.Context, cmd, stdin string, limit int64, check func([]byte, int) error) ([]byte, int, error) {
	type opened struct {
		s   *ssh.Session
		err error
	}
	t0 := time.Now()
	och := make(chan opened, 1)
	go func() {
		s, err := c.Client.NewSession()
		och <- opened{s, err}
	}()
	var s *ssh.Session
	select {
	case o := <-och:
		if o.err != nil {
			return nil, 0, fmt.Errorf("open session: %w", o.err)
		}
		s = o.s
	case <-time.After(c.pool.CommandTimeout):
		c.Client.Close()
		return nil, 0, fmt.Errorf("no answer after authentication within %s", c.pool.CommandTimeout)
	case <-ctx.Done():
		c.Client.Close()
		return nil, 0, ctx.Err()
	}
	if c.RTT == 0 {
		c.RTT = time.Since(t0)
	}
	defer s.Close()
	out := &capped{limit: limit, over: make(chan struct{}), check: check}
	s.Stdout = out
	s.Stderr = io.Discard
	// Stdin goes through a pipe we feed ourselves: a host that exits
	// without reading it must not turn a finished command into an error.
	var stdinPipe io.WriteCloser
	if stdin != "" {
		var err error
		if stdinPipe, err = s.StdinPipe(); err != nil {
			return nil, 0, fmt.Errorf("open session: %w", err)
		}
	}
	// Start waits for the exec reply, so it runs under the timer as well.
	done := make(chan error, 1)
	go func() {
		if err := s.Start(cmd); err != nil {
			done <- fmt.Errorf("start command: %w", err)
			return
		}
		if stdinPipe != nil {
			go func() {
				_, _ = io.WriteString(stdinPipe, stdin)
				_ = stdinPipe.Close()
			}()
		}
		done <- s.Wait()
	}()
	timer := time.NewTimer(c.pool.CommandTimeout)
	defer timer.Stop()
	fail := func(e error) ([]byte, int, error) {
		c.Client.Close()
		<-done
		return nil, 0, e
	}
	var err error
	select {
	case err = <-done:
	case <-out.over:
		if out.err == errOutputLimit {
			return fail(fmt.Errorf("command %w (%d bytes)", errOutputLimit, limit))
		}
		return fail(out.err)
	case <-timer.C:
		return fail(fmt.Errorf("command timed out after %s", c.pool.CommandTimeout))
	case <-ctx.Done():
		return fail(fmt.Errorf("command interrupted: %w", ctx.Err()))
	}
	c.FirstLine = out.firstLine
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return out.buf, 0, nil
	case errors.As(err, &ee):
		return out.buf, ee.ExitStatus(), nil
	case errors.Is(err, errOutputLimit):
		return nil, 0, fmt.Errorf("command %w (%d bytes)", errOutputLimit, limit)
	default:
		var me *ssh.ExitMissingError
		if errors.As(err, &me) {
			return nil, 0, errors.New("connection closed before the command finished")
		}
		return nil, 0, fmt.Errorf("command: %w", err)
	}
}

// EachKVM runs fn for every KVM target of inv, at most Concurrency at a time,
// and waits. A target still waiting when ctx ends is released from the pool
// and handed to skipped instead, so a cancelled run never dials it.
func (p *Pool) EachKVM(ctx context.Context, inv *collectors.Inventory, fn func(i int, t collectors.Target), skipped func(i int, err error)) {
	sem := make(chan struct{}, p.Concurrency)
	var wg sync.WaitGroup
	for i, t := range inv.Hosts {
		if !t.IsKVM() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				p.Done(t, inv)
				skipped(i, ctx.Err())
				return
			}
			defer func() { <-sem }()
			fn(i, t)
		}()
	}
	wg.Wait()
}
