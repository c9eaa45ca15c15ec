// Package ipmi is the out-of-band collector: it learns, for each host's BMC,
// whether it is reachable, what unauthenticated access it announces and, when
// sessions are enabled, whether the credentials work and the chassis power.
//
// It is built so that an audit cannot lock a BMC account: passive probes by
// default, at most one login per BMC per run with one cipher suite and no
// retry, and a circuit breaker after breakerLimit rejections of one credential.
package ipmi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/csaudit/csaudit/collectors"
)

// DefaultPort is where a BMC listens for RMCP when no address names a port.
const DefaultPort = 623

// Coverage fact names.
const (
	FactReachability = "oobm.reachability"
	FactAuthCaps     = "oobm.auth_capabilities"
	FactAuth         = "oobm.auth"
	FactPower        = "oobm.power"
	FactDefaultCreds = "oobm.default_credentials"
)

// Collector probes BMCs. Build it with New.
type Collector struct {
	cfg     collectors.IPMIConfig
	db      *collectors.DatabaseConfig
	baseDir string
	cfgPath string // the config file, for paths relative to it
	now     func() time.Time
	// csCreds loads CloudStack's stored oobm credentials; replaceable in tests.
	csCreds func(ctx context.Context) (map[string]credential, error)
}

// New returns the ipmi collector for a config. A nil ipmi section means all
// defaults (passive probes only).
func New(cfg *collectors.Config) collectors.Collector {
	c := &Collector{now: time.Now, cfg: (*collectors.IPMIConfig)(nil).WithDefaults()}
	if cfg != nil {
		// LoadConfig applied the defaults already; a config built in code
		// gets the same ones.
		c.cfg = cfg.IPMI.WithDefaults()
		c.db = cfg.Database
		if cfg.Path != "" {
			c.baseDir = filepath.Dir(cfg.Path)
			c.cfgPath = cfg.Path
		}
	}
	c.csCreds = c.loadCloudStackCredentials
	return c
}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return collectors.NameIPMI }

// Stage implements collectors.Collector: BMC addresses come from the inventory.
func (c *Collector) Stage() int { return collectors.StageTargets }

// bmc is one BMC to visit.
type bmc struct {
	key       string // host uuid, or name when the inventory has no uuid
	hostID    string
	name      string
	addr      string // host:port
	driver    string
	notProbed string
	badAddr   string
	cred      *credential
	// disabled is set for an oobm row with enabled = 0: CloudStack does not
	// use this BMC, so it gets the passive probes but no login.
	disabled bool
}

func (c *Collector) timeout() time.Duration { return time.Duration(c.cfg.Timeout) }

func (c *Collector) suite() int { return *c.cfg.CipherSuite }

// Collect implements collectors.Collector. Per-BMC outcomes are facts; only the
// collector's own failures become coverage failures or collector errors.
func (c *Collector) Collect(ctx context.Context, inv *collectors.Inventory) (*collectors.Part, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	part := &collectors.Part{OOBM: map[string]*collectors.BMCFacts{}, Coverage: map[string]*collectors.Coverage{}}
	cov := func(fact string, selected bool) *collectors.Coverage {
		cv := &collectors.Coverage{Collector: collectors.NameIPMI, Selected: selected, Collected: []string{}}
		part.Coverage[fact] = cv
		return cv
	}
	reach := cov(FactReachability, true)
	caps := cov(FactAuthCaps, true)
	auth := cov(FactAuth, c.cfg.Sessions)
	power := cov(FactPower, c.cfg.Sessions)
	if !c.cfg.Sessions {
		auth.Notes = append(auth.Notes, "sessions are off (ipmi.sessions: false): no login was tried")
		power.Notes = append(power.Notes, "sessions are off (ipmi.sessions: false): chassis power was not read")
	}

	bmcs := c.targets(inv)
	creds, credNote, credErr := c.credentials(ctx)
	defCov := cov(FactDefaultCreds, credErr == nil && (creds.config != nil || creds.cloudstack != nil))
	if credNote != "" {
		auth.Notes = append(auth.Notes, credNote)
	}
	if w := c.passwordFileWarning(); w != "" {
		auth.Notes = append(auth.Notes, w)
	}
	if credErr != nil {
		part.Errors = append(part.Errors, collectors.CollectorError{Collector: collectors.NameIPMI, Target: "credentials", Error: credErr.Error()})
		defCov.Notes = append(defCov.Notes, "credentials could not be loaded")
	}
	for i := range bmcs {
		bmcs[i].cred = creds.forHost(bmcs[i].hostID)
	}

	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		brk = newBreaker()
		sem = make(chan struct{}, c.concurrency())
	)
	var tripped []credential
	record := func(b bmc, f *collectors.BMCFacts, o outcome) {
		mu.Lock()
		defer mu.Unlock()
		part.OOBM[b.key] = f
		o.apply(b.key, reach, caps, auth, power, defCov)
		if o.tripped != nil {
			tripped = append(tripped, *o.tripped)
		}
	}
	for _, group := range byAddress(bmcs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := group[0]
			var f *collectors.BMCFacts
			var o outcome
			select {
			case sem <- struct{}{}:
				var try bool
				f, o, try = c.visit(ctx, first)
				<-sem
				if try {
					// The concurrency slot is given back while waiting for the
					// breaker, so that logins queued on one credential never
					// hold up other BMCs' probes.
					c.session(ctx, first, f, &o, brk, sem)
				}
			case <-ctx.Done():
				f, o = c.unvisited(first, "the collector's deadline passed before this BMC was probed")
			}
			record(first, f, o)
			// Hosts that name the same BMC share its one probe and login.
			for _, b := range group[1:] {
				record(b, c.shared(f, b), outcome{reach: o.reach, caps: o.caps, auth: o.auth, power: o.power, defaults: c.defaultsOutcome(b)})
			}
		}()
	}
	wg.Wait()

	for _, cr := range tripped {
		hosts := brk.rejections(cr)
		sort.Strings(hosts)
		part.Errors = append(part.Errors, collectors.CollectorError{
			Collector: collectors.NameIPMI,
			Target:    "sessions",
			Error: fmt.Sprintf("circuit breaker open: %d BMCs (%s) rejected the %s credentials of user %q; no further logins with them in this run, so no BMC account is locked out",
				len(hosts), strings.Join(hosts, ", "), cr.Source, cr.User),
		})
	}
	sort.Slice(part.Errors, func(i, j int) bool { return part.Errors[i].Target < part.Errors[j].Target })
	for _, cv := range part.Coverage {
		sort.Strings(cv.Collected)
		sort.Strings(cv.Notes)
	}
	return part, nil
}

// validate rejects settings that would make the collector unsafe or useless.
// Cipher suite 0 (no authentication) is refused: a BMC that allows it accepts
// any password, so a "successful" login would prove nothing.
func (c *Collector) validate() error {
	switch cs := c.cfg.CipherSuite; {
	case cs != nil && *cs == 0:
		return errors.New("ipmi.cipher_suite 0 is refused: suite 0 has no authentication, so a BMC that allows it accepts any password and a login proves nothing (use 3, the default, or 17)")
	case cs != nil && (*cs < 0 || *cs > 19):
		return fmt.Errorf("ipmi.cipher_suite %d is not an IPMI cipher suite (1-19; default 3)", *cs)
	case c.cfg.Timeout < 0:
		return errors.New("ipmi.timeout must not be negative")
	case c.cfg.Concurrency < 0:
		return errors.New("ipmi.concurrency must not be negative")
	}
	return nil
}

// passwordFileWarning notes a password file that group or other can read.
func (c *Collector) passwordFileWarning() string {
	if c.cfg.PasswordFile == "" {
		return ""
	}
	p := c.resolve(c.cfg.PasswordFile)
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("warning: ipmi.password_file %s is readable or writable by group or other (mode %04o)", p, st.Mode().Perm())
}

func (c *Collector) concurrency() int { return c.cfg.Concurrency }

// byAddress groups the BMCs by address so that a BMC named by several oobm rows
// is probed and logged into once per run. Unprobed entries stay alone.
func byAddress(bmcs []bmc) [][]bmc {
	idx := map[string]int{}
	var out [][]bmc
	for _, b := range bmcs {
		k := b.addr
		if b.notProbed != "" || b.badAddr != "" || k == "" {
			out = append(out, []bmc{b})
			continue
		}
		if i, ok := idx[k]; ok {
			out[i] = append(out[i], b)
			continue
		}
		idx[k] = len(out)
		out = append(out, []bmc{b})
	}
	// The first of a group is probed and logged into for all: an enabled
	// row first, so that one disabled row does not stop the login.
	for _, g := range out {
		sort.SliceStable(g, func(i, j int) bool { return !g[i].disabled && g[j].disabled })
	}
	return out
}

// shared copies the facts of a BMC for another host that names it.
func (c *Collector) shared(f *collectors.BMCFacts, b bmc) *collectors.BMCFacts {
	g := *f
	g.HostID, g.HostName, g.Driver = b.hostID, b.name, b.driver
	g.DefaultCreds, g.DefaultVendor, g.Credentials = nil, "", ""
	if b.cred != nil {
		is, vendor := isVendorDefault(*b.cred)
		g.DefaultCreds, g.DefaultVendor, g.Credentials = &is, vendor, b.cred.Source
	}
	return &g
}

func (c *Collector) defaultsOutcome(b bmc) string {
	if b.cred != nil {
		return collected
	}
	return ""
}

// outcome is what one BMC contributes to coverage.
type outcome struct {
	reach, caps, auth, power, defaults string // "collected", "" or a failure reason
	note                               string
	tripped                            *credential
}

const collected = "collected"

func (o outcome) apply(key string, reach, caps, auth, power, def *collectors.Coverage) {
	for _, x := range []struct {
		cv *collectors.Coverage
		v  string
	}{{reach, o.reach}, {caps, o.caps}, {auth, o.auth}, {power, o.power}, {def, o.defaults}} {
		switch x.v {
		case "":
		case collected:
			x.cv.Collected = append(x.cv.Collected, key)
		default:
			if x.cv.Failed == nil {
				x.cv.Failed = map[string]string{}
			}
			x.cv.Failed[key] = x.v
		}
	}
	if o.note != "" {
		reach.Notes = append(reach.Notes, o.note)
	}
}

func (c *Collector) newFact(b bmc) *collectors.BMCFacts {
	return &collectors.BMCFacts{
		FactMeta: collectors.FactMeta{CollectedAt: c.now().UTC()},
		HostID:   b.hostID, Address: b.addr, HostName: b.name, Driver: b.driver,
	}
}

func (c *Collector) unvisited(b bmc, why string) (*collectors.BMCFacts, outcome) {
	f := c.newFact(b)
	f.Error = why
	o := outcome{reach: why, caps: why}
	if c.cfg.Sessions {
		o.auth, o.power = why, why
	}
	return f, o
}

// visit probes one BMC. It reports whether a login should follow.
func (c *Collector) visit(ctx context.Context, b bmc) (*collectors.BMCFacts, outcome, bool) {
	f := c.newFact(b)
	var o outcome
	if b.cred != nil {
		is, vendor := isVendorDefault(*b.cred)
		f.DefaultCreds, f.DefaultVendor, f.Credentials = &is, vendor, b.cred.Source
		o.defaults = collected
	}
	if b.notProbed != "" {
		f.NotProbed = b.notProbed
		o.note = fmt.Sprintf("%s: not probed: %s", b.key, b.notProbed)
		return f, o, false
	}
	if b.badAddr != "" {
		f.Error = b.badAddr
		o = outcome{reach: b.badAddr, defaults: o.defaults}
		return f, o, false
	}
	timeout := c.timeout()
	pr := probe(ctx, b.addr, timeout)
	if pr.Interrupted && !pr.Refused {
		f2, o2 := c.unvisited(b, "the collector's deadline passed during the probe")
		o2.defaults = o.defaults
		f2.DefaultCreds, f2.DefaultVendor, f2.Credentials = f.DefaultCreds, f.DefaultVendor, f.Credentials
		return f2, o2, false
	}
	reachable := pr.Reachable()
	f.Reachable = &reachable
	pong := pr.Pong
	f.Pong = &pong
	answering := pr.Answered
	f.IPMIAnswering = &answering
	o.reach = collected
	switch {
	case reachable && !pr.Answered:
		f.ReachDetail = fmt.Sprintf("answers the RMCP presence ping but not IPMI: no answer to Get Channel Authentication Capabilities within %s", timeout)
		f.RTTMS = float64(pr.RTT.Microseconds()) / 1000
	case reachable:
		f.RTTMS = float64(pr.RTT.Microseconds()) / 1000
	case pr.Refused:
		f.ReachDetail = "UDP port closed (ICMP port unreachable)"
	case pr.LastError != "":
		f.ReachDetail = pr.LastError
	default:
		f.ReachDetail = fmt.Sprintf("no answer to presence ping or auth capabilities within %s", timeout)
	}
	if pr.Caps != nil {
		f.Anonymous = boolp(pr.Caps.Anonymous)
		f.NullUser = boolp(pr.Caps.NullUser)
		none := false
		for _, a := range pr.Caps.AuthTypes {
			none = none || a == "none"
		}
		f.NoneAuth = &none
		f.AuthTypes = pr.Caps.AuthTypes
		f.IPMIv20 = boolp(pr.Caps.IPMIv20)
		o.caps = collected
	} else if pr.Answered && pr.LastError != "" {
		f.ReachDetail = pr.LastError
	}

	if !c.cfg.Sessions {
		return f, o, false
	}
	switch {
	case !reachable:
		f.Auth, f.AuthDetail = authNotTried, "BMC unreachable"
		o.auth = collected
		return f, o, false
	case !pr.Answered:
		// A login would only wait out the timeout again, and would hold a
		// circuit-breaker slot of the credential while doing so.
		f.Auth, f.AuthDetail = authNotTried, "IPMI not answering (presence ping only)"
		o.auth = collected
		return f, o, false
	case b.disabled:
		f.Auth, f.AuthDetail = authNotTried, "out-of-band management is disabled for this host in CloudStack"
		o.auth = collected
		return f, o, false
	case b.cred == nil:
		f.Auth, f.AuthDetail = authNotTried, "no credentials for this BMC"
		o.auth, o.power = "no credentials for this BMC", "no credentials for this BMC"
		return f, o, false
	}
	return f, o, true
}

// session logs in once, after a circuit-breaker slot and then a concurrency
// slot are free; it holds the concurrency slot only for the login itself.
func (c *Collector) session(ctx context.Context, b bmc, f *collectors.BMCFacts, o *outcome, brk *breaker, sem chan struct{}) {
	deadline := func() {
		why := "the collector's deadline passed before the session"
		f.Auth, f.AuthDetail, f.Error = "", "", why
		o.auth, o.power = why, why
	}
	ok, err := brk.acquire(ctx, *b.cred)
	switch {
	case err != nil:
		deadline()
		return
	case !ok:
		why := fmt.Sprintf("not tried: circuit breaker open after %d BMCs rejected these credentials", breakerLimit)
		f.Auth, f.AuthDetail = authNotTried, why
		o.auth, o.power = why, why
		return
	}
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		brk.release(*b.cred, "")
		deadline()
		return
	}
	suite := c.suite()
	f.CipherSuite = &suite
	sr := login(ctx, b.addr, *b.cred, suite, c.timeout())
	<-sem
	rejectedBy := ""
	if sr.Auth == authFailed {
		rejectedBy = b.key
		if b.name != "" {
			rejectedBy = b.name
		}
	}
	if brk.release(*b.cred, rejectedBy) {
		cr := *b.cred
		o.tripped = &cr
	}
	if sr.Auth == authError && ctx.Err() != nil {
		// The run ran out of time, not the BMC: no fact, a coverage failure.
		why := "the collector's deadline passed during the session"
		f.Auth, f.AuthDetail, f.Error = "", "", why
		o.auth, o.power = why, why
		return
	}
	f.Auth, f.AuthDetail = sr.Auth, sr.Detail
	o.auth = collected
	switch {
	case sr.PowerOn != nil && *sr.PowerOn:
		f.Power = "on"
		o.power = collected
	case sr.PowerOn != nil:
		f.Power = "off"
		o.power = collected
	case sr.Auth == authOK:
		o.power = "chassis status could not be read: " + sr.Detail
	}
}

func boolp(b bool) *bool { return &b }

// targets lists the BMCs: every oobm row of a live host, and every inventory
// host that has a BMC address in the config.
func (c *Collector) targets(inv *collectors.Inventory) []bmc {
	var out []bmc
	seen := map[string]bool{}
	if inv == nil {
		inv = &collectors.Inventory{}
	}
	hosts := inv.DB["host"]
	for _, row := range inv.DB["oobm"] {
		hid := str(row.Get("host_id"))
		h, ok := hosts[hid]
		if !ok || h.Get("removed") != nil {
			continue
		}
		b := bmc{hostID: hid, name: str(h.Get("name")), key: str(h.Get("uuid")), driver: str(row.Get("driver")),
			disabled: !truthy(row.Get("enabled"))}
		if b.key == "" {
			b.key = b.name
		}
		addr := str(row.Get("address"))
		port := str(row.Get("port"))
		if port != "" && addr != "" {
			addr = net.JoinHostPort(strings.Trim(addr, "[]"), port)
		}
		if a := c.configured(b.name, b.key, ""); a != "" {
			addr = a
		}
		switch strings.ToLower(b.driver) {
		case "ipmitool", "":
			if addr == "" {
				b.notProbed = "no BMC address in the oobm row or the config"
			}
		default:
			b.notProbed = "driver " + b.driver + " is not probed (IPMI only)"
		}
		c.setAddr(&b, addr)
		seen[hid] = true
		out = append(out, b)
	}
	for _, t := range inv.Hosts {
		if t.ID != "" && seen[t.ID] {
			continue
		}
		addr := c.configured(t.Name, t.UUID, t.BMC)
		if addr == "" {
			continue
		}
		b := bmc{hostID: t.ID, name: t.Name, key: t.UUID, driver: "ipmitool"}
		if b.key == "" {
			b.key = t.Name
		}
		if b.key == "" {
			b.key = addr
		}
		c.setAddr(&b, addr)
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// configured returns the config's address for a host: ipmi.addresses by name or
// uuid, else the inventory entry's bmc.
func (c *Collector) configured(name, uuid, inventoryBMC string) string {
	if a := c.cfg.Addresses[name]; name != "" && a != "" {
		return a
	}
	if a := c.cfg.Addresses[uuid]; uuid != "" && a != "" {
		return a
	}
	return inventoryBMC
}

func (c *Collector) setAddr(b *bmc, addr string) {
	if b.notProbed != "" && addr == "" {
		return
	}
	hp, err := normalizeAddr(addr)
	if err != nil {
		b.addr = addr
		b.badAddr = err.Error()
		return
	}
	b.addr = hp
}

// normalizeAddr accepts host, host:port, [v6]:port and a bare IPv6 address.
func normalizeAddr(a string) (string, error) {
	a = strings.TrimSpace(a)
	if a == "" {
		return "", errors.New("empty BMC address")
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		if ip := net.ParseIP(strings.Trim(a, "[]")); ip != nil {
			return net.JoinHostPort(ip.String(), strconv.Itoa(DefaultPort)), nil
		}
		if strings.ContainsAny(a, ":[]/ ") {
			return "", fmt.Errorf("BMC address %q is not host or host:port", a)
		}
		return net.JoinHostPort(a, strconv.Itoa(DefaultPort)), nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 || host == "" {
		return "", fmt.Errorf("BMC address %q is not host or host:port", a)
	}
	return net.JoinHostPort(host, port), nil
}

// truthy reads a tinyint/boolean column as the database collector records it.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case int64:
		return x != 0
	case int:
		return x != 0
	case string:
		return x == "1" || strings.EqualFold(x, "true")
	default:
		s := fmt.Sprint(x)
		return s == "1" || strings.EqualFold(s, "true")
	}
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// credSet is every credential the collector may use.
type credSet struct {
	config     *credential
	cloudstack map[string]credential // host id -> stored oobm credential
}

// forHost prefers the host's own stored credential, then the config's.
func (s credSet) forHost(hostID string) *credential {
	if c, ok := s.cloudstack[hostID]; ok && c.User != "" {
		return &c
	}
	return s.config
}

// credentials loads the configured and, when opted in, CloudStack's stored
// credentials. The note explains a partial setup; errors never quote secrets.
func (c *Collector) credentials(ctx context.Context) (credSet, string, error) {
	var s credSet
	var errs []error
	if c.cfg.Username != "" {
		pw, err := c.password()
		if err != nil {
			errs = append(errs, err)
		} else {
			s.config = &credential{User: c.cfg.Username, Password: pw, Source: "config"}
		}
	}
	note := ""
	if c.cfg.UseCloudStackCredentials {
		// Rows that decrypted are used even when others did not.
		m, err := c.csCreds(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("cloudstack oobm credentials: %w", err))
		}
		if len(m) > 0 {
			s.cloudstack = m
		}
	}
	if c.cfg.Sessions && s.config == nil && s.cloudstack == nil && len(errs) == 0 {
		note = "sessions are on but no credentials are configured (ipmi.username, or use_cloudstack_credentials)"
	}
	return s, note, errors.Join(errs...)
}

// maxPasswordFile bounds the password file read.
const maxPasswordFile = 4096

func (c *Collector) password() (string, error) {
	if c.cfg.PasswordFile == "" {
		return c.cfg.Password, nil
	}
	p := c.resolve(c.cfg.PasswordFile)
	f, err := collectors.OpenRegular(p)
	if err != nil {
		return "", fmt.Errorf("ipmi.password_file: %w", errors.Unwrap(err))
	}
	defer f.Close()
	b := make([]byte, maxPasswordFile+1)
	n, _ := f.Read(b)
	if n > maxPasswordFile {
		return "", fmt.Errorf("ipmi.password_file %s: larger than %d bytes", p, maxPasswordFile)
	}
	line, _, _ := strings.Cut(string(b[:n]), "\n")
	return strings.TrimRight(line, "\r"), nil
}
