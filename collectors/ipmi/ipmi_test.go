package ipmi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// Canary passwords: every test checks that none of them leaves the collector.
const (
	canary      = "CANARY-7f3a9c0b" // ipmi_sim keeps 16 bytes of a password
	canaryWrong = "CANARY-51e2d0aa"
)

var (
	simDir   string
	healthy  *testbed.IPMISim // admin/canary, power on
	poweroff *testbed.IPMISim // admin/canary, power off
	insecure *testbed.IPMISim // anonymous login and auth type none
	dellish  *testbed.IPMISim // root/calvin, a vendor default
	otherpw  *testbed.IPMISim // admin with a password the config does not hold
	fleet    []*testbed.IPMISim
	startErr error
)

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		simDir, err = os.MkdirTemp("", "csaudit-ipmi-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(simDir)
		defer testbed.StopSharedMariaDB()
		var sims []*testbed.IPMISim
		defer func() {
			for _, s := range sims {
				s.Stop()
			}
		}()
		start := func(o testbed.IPMISimOptions) *testbed.IPMISim {
			if startErr != nil {
				return nil
			}
			s, err := testbed.StartIPMISim(simDir, o)
			if err != nil {
				startErr = err
				return nil
			}
			sims = append(sims, s)
			return s
		}
		healthy = start(testbed.IPMISimOptions{Name: "healthy", User: "admin", Password: canary, PowerOn: true})
		poweroff = start(testbed.IPMISimOptions{Name: "poweroff", User: "admin", Password: canary})
		insecure = start(testbed.IPMISimOptions{Name: "insecure", User: "admin", Password: canary, PowerOn: true, Insecure: true})
		dellish = start(testbed.IPMISimOptions{Name: "dellish", User: "root", Password: "calvin", PowerOn: true})
		otherpw = start(testbed.IPMISimOptions{Name: "otherpw", User: "admin", Password: "Rotated-pw-2026", PowerOn: true})
		for i := range 5 {
			fleet = append(fleet, start(testbed.IPMISimOptions{Name: fmt.Sprintf("fleet%d", i), User: "admin", Password: canary, PowerOn: true}))
		}
		return m.Run()
	}()
	os.Exit(code)
}

func needSims(t *testing.T) {
	t.Helper()
	switch {
	case errors.Is(startErr, testbed.ErrMissing):
		testbed.Missing(t, startErr) // a failure under CI=true
	case startErr != nil:
		t.Fatalf("ipmi_sim: %v", startErr)
	}
}

// host is one host of a test inventory with its BMC at addr.
type host struct {
	id, name, addr, driver, powerState string
	disabled                           bool // oobm.enabled = 0
}

// inventory builds the stage-1 tables the collector reads: host and oobm rows
// as the database collector records them (numbers as float64 after JSON).
func inventory(hosts ...host) *collectors.Inventory {
	db := map[string]collectors.Table{"host": {}, "oobm": {}}
	for i, h := range hosts {
		db["host"][h.id] = collectors.RowOf(map[string]any{"id": h.id, "uuid": "uuid-" + h.name, "name": h.name, "type": "Routing", "removed": nil})
		if h.addr == "" {
			continue
		}
		ip, port, _ := net.SplitHostPort(h.addr)
		driver := h.driver
		if driver == "" {
			driver = "ipmitool"
		}
		ps := h.powerState
		if ps == "" {
			ps = "On"
		}
		enabled := float64(1)
		if h.disabled {
			enabled = 0
		}
		db["oobm"][fmt.Sprint(100+i)] = collectors.RowOf(map[string]any{
			"id": float64(100 + i), "host_id": json.Number(h.id), "enabled": enabled, "driver": driver,
			"address": ip, "port": port, "power_state": ps,
		})
	}
	return &collectors.Inventory{DB: db}
}

func newCollector(ipmi collectors.IPMIConfig) *Collector {
	return New(&collectors.Config{IPMI: &ipmi}).(*Collector)
}

func collect(t *testing.T, c *Collector, inv *collectors.Inventory) (*collectors.Part, time.Duration) {
	t.Helper()
	start := time.Now()
	p, err := c.Collect(context.Background(), inv)
	d := time.Since(start)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	noSecrets(t, p)
	return p, d
}

// noSecrets fails when a canary password appears anywhere in the part.
func noSecrets(t *testing.T, p *collectors.Part) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b) + fmt.Sprintf("%v %+v %#v", p, p.Errors, p.OOBM)
	for _, pw := range []string{canary, canaryWrong, "calvin", "auditpw-Q1", "mgmt-secret-1", "dbkey-secret"} {
		if strings.Contains(s, pw) {
			t.Fatalf("password %q leaked into the collector output", pw)
		}
	}
}

func fact(t *testing.T, p *collectors.Part, name string) *collectors.BMCFacts {
	t.Helper()
	f := p.OOBM["uuid-"+name]
	if f == nil {
		t.Fatalf("no oobm fact for %s; have %v", name, keys(p.OOBM))
	}
	return f
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func intp(n int) *int { return &n }

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

func sessionsConfig(user, pw string) collectors.IPMIConfig {
	return collectors.IPMIConfig{Enabled: true, Sessions: true, Username: user, Password: pw,
		CipherSuite: intp(3), Timeout: collectors.Duration(time.Second)}
}

func TestHealthyBMC(t *testing.T) {
	needSims(t)
	c := newCollector(sessionsConfig("admin", canary))
	p, d := collect(t, c, inventory(host{id: "1", name: "kvm1", addr: healthy.Addr()}))
	f := fact(t, p, "kvm1")
	if !isTrue(f.Reachable) || !isTrue(f.Pong) || f.Auth != authOK || f.Power != "on" {
		t.Fatalf("healthy BMC: reachable=%v pong=%v auth=%q (%s) power=%q", f.Reachable, f.Pong, f.Auth, f.AuthDetail, f.Power)
	}
	if !isFalse(f.Anonymous) || !isFalse(f.NullUser) || !isFalse(f.NoneAuth) || !isFalse(f.DefaultCreds) {
		t.Errorf("healthy BMC announces insecure access: anon=%v null=%v none=%v default=%v", f.Anonymous, f.NullUser, f.NoneAuth, f.DefaultCreds)
	}
	if f.Credentials != "config" || f.HostID != "1" || f.Address != healthy.Addr() {
		t.Errorf("fact identity: %+v", f)
	}
	if len(p.Errors) != 0 {
		t.Errorf("collector errors: %+v", p.Errors)
	}
	for _, fc := range []string{FactReachability, FactAuthCaps, FactAuth, FactPower, FactDefaultCreds} {
		cv := p.Coverage[fc]
		if cv == nil || !cv.Selected || len(cv.Collected) != 1 || cv.Collected[0] != "uuid-kvm1" || len(cv.Failed) != 0 {
			t.Errorf("coverage %s: %+v", fc, cv)
		}
	}
	t.Logf("healthy BMC: probe+login+chassis status+close in %s (rtt %.2f ms)", d, f.RTTMS)
}

func TestPassiveByDefaultNeverLogsIn(t *testing.T) {
	needSims(t)
	relay, err := testbed.StartUDPRelay(healthy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	// Credentials configured, sessions not enabled: nothing but the probes.
	c := newCollector(collectors.IPMIConfig{Enabled: true, Username: "admin", Password: canary})
	p, _ := collect(t, c, inventory(host{id: "1", name: "kvm1", addr: relay.Addr()}))
	f := fact(t, p, "kvm1")
	if !isTrue(f.Reachable) || f.Auth != "" || f.Power != "" || f.CipherSuite != nil {
		t.Fatalf("passive run: reachable=%v auth=%q power=%q", f.Reachable, f.Auth, f.Power)
	}
	if open, rakp := relay.Counts(); open != 0 || rakp != 0 {
		t.Fatalf("passive run sent %d Open Session and %d RAKP1 requests", open, rakp)
	}
	if cv := p.Coverage[FactAuth]; cv.Selected || len(cv.Notes) == 0 {
		t.Errorf("oobm.auth coverage without sessions: %+v", cv)
	}
	if !isFalse(f.DefaultCreds) {
		t.Errorf("the offline default-credential comparison needs no session: %v", f.DefaultCreds)
	}
}

func TestWrongPasswordIsOneAttemptAndAFact(t *testing.T) {
	needSims(t)
	relay, err := testbed.StartUDPRelay(healthy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	c := newCollector(sessionsConfig("admin", canaryWrong))
	p, d := collect(t, c, inventory(host{id: "1", name: "kvm1", addr: relay.Addr()}))
	f := fact(t, p, "kvm1")
	if f.Auth != authFailed || f.Power != "" || !isTrue(f.Reachable) {
		t.Fatalf("wrong password: auth=%q (%s) power=%q", f.Auth, f.AuthDetail, f.Power)
	}
	if open, rakp := relay.Counts(); open != 1 || rakp != 1 {
		t.Fatalf("wrong password reached the BMC as %d Open Session / %d RAKP1 requests, want exactly 1/1", open, rakp)
	}
	if len(p.Errors) != 0 {
		t.Errorf("an authentication failure is a fact, not a collector error: %+v", p.Errors)
	}
	if cv := p.Coverage[FactAuth]; len(cv.Collected) != 1 || len(cv.Failed) != 0 {
		t.Errorf("oobm.auth coverage: %+v", cv)
	}
	t.Logf("wrong password: %s in %s", f.AuthDetail, d)
}

func TestUnreachableWithinTimeout(t *testing.T) {
	needSims(t)
	silent, err := testbed.StartSilentPeer()
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closedPort, err := testbed.FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	closed := net.JoinHostPort("127.0.0.1", fmt.Sprint(closedPort))
	const timeout = time.Second
	cfg := sessionsConfig("admin", canary)
	cfg.Timeout = collectors.Duration(timeout)
	c := newCollector(cfg)
	p, d := collect(t, c, inventory(
		host{id: "1", name: "silent", addr: silent.Addr()},
		host{id: "2", name: "closed", addr: closed},
		host{id: "3", name: "ok", addr: healthy.Addr()},
	))
	for _, name := range []string{"silent", "closed"} {
		f := fact(t, p, name)
		if !isFalse(f.Reachable) || f.Auth != authNotTried || f.ReachDetail == "" {
			t.Errorf("%s: reachable=%v auth=%q detail=%q", name, f.Reachable, f.Auth, f.ReachDetail)
		}
	}
	if f := fact(t, p, "ok"); f.Auth != authOK {
		t.Errorf("a dead neighbour must not affect a healthy BMC: %+v", f)
	}
	if len(p.Errors) != 0 {
		t.Errorf("unreachable BMCs are facts, not collector errors: %+v", p.Errors)
	}
	if cv := p.Coverage[FactReachability]; len(cv.Collected) != 3 || len(cv.Failed) != 0 {
		t.Errorf("reachability coverage: %+v", cv)
	}
	// The silent peer costs the timeout once (probes in parallel, no login);
	// the bound leaves room for a loaded machine without allowing a second timeout.
	if d > timeout+timeout*3/4 {
		t.Errorf("run took %s, more than the %s timeout once", d, timeout)
	}
	if silent.Received() == 0 {
		t.Error("the silent peer received nothing: the probe did not reach it")
	}
	t.Logf("closed port: %q; silent peer: %q after %d datagrams; whole run %s",
		fact(t, p, "closed").ReachDetail, fact(t, p, "silent").ReachDetail, silent.Received(), d)
}

func TestClosedPortFailsFast(t *testing.T) {
	port, err := testbed.FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := probe(context.Background(), net.JoinHostPort("127.0.0.1", fmt.Sprint(port)), 3*time.Second)
	if !r.Refused || r.Reachable() {
		t.Fatalf("closed port: %+v", r)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a closed loopback port took %s; ICMP port unreachable should end it at once", d)
	}
}

func TestCircuitBreaker(t *testing.T) {
	needSims(t)
	var hosts []host
	var relays []*testbed.UDPRelay
	for i, s := range fleet {
		r, err := testbed.StartUDPRelay(s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		relays = append(relays, r)
		hosts = append(hosts, host{id: fmt.Sprint(10 + i), name: fmt.Sprintf("fleet%d", i), addr: r.Addr()})
	}
	cfg := sessionsConfig("admin", canaryWrong)
	cfg.Concurrency = 8
	c := newCollector(cfg)
	p, _ := collect(t, c, inventory(hosts...))
	failed, notTried := 0, 0
	for _, h := range hosts {
		switch f := fact(t, p, h.name); f.Auth {
		case authFailed:
			failed++
		case authNotTried:
			notTried++
			if !strings.Contains(f.AuthDetail, "circuit breaker") {
				t.Errorf("%s not tried for another reason: %s", h.name, f.AuthDetail)
			}
		default:
			t.Errorf("%s: auth %q (%s)", h.name, f.Auth, f.AuthDetail)
		}
	}
	if failed != breakerLimit || notTried != len(hosts)-breakerLimit {
		t.Fatalf("breaker: %d rejected, %d not tried; want %d and %d", failed, notTried, breakerLimit, len(hosts)-breakerLimit)
	}
	attempts := 0
	for _, r := range relays {
		_, rakp := r.Counts()
		attempts += rakp
	}
	if attempts != breakerLimit {
		t.Errorf("%d authentication attempts reached the BMCs, want %d", attempts, breakerLimit)
	}
	if len(p.Errors) != 1 || p.Errors[0].Target != "sessions" || !strings.Contains(p.Errors[0].Error, "circuit breaker open") {
		t.Fatalf("want one collector error naming the circuit breaker, got %+v", p.Errors)
	}
	if cv := p.Coverage[FactAuth]; len(cv.Failed) != len(hosts)-breakerLimit {
		t.Errorf("hosts the breaker skipped must show as not evaluated: %+v", cv)
	}
	t.Logf("collector error: %s", p.Errors[0].Error)
}

func TestPowerStateFollowsTheBMC(t *testing.T) {
	needSims(t)
	c := newCollector(sessionsConfig("admin", canary))
	// The database says On; the BMC says off: the data a mismatch check reads.
	inv := inventory(host{id: "1", name: "kvm1", addr: poweroff.Addr(), powerState: "On"})
	p, _ := collect(t, c, inv)
	if f := fact(t, p, "kvm1"); f.Auth != authOK || f.Power != "off" {
		t.Fatalf("powered-off BMC: auth=%q (%s) power=%q", f.Auth, f.AuthDetail, f.Power)
	}
	if got := inv.DB["oobm"]["100"].Get("power_state"); got != "On" {
		t.Fatalf("db power_state %v", got)
	}
	if err := poweroff.SetPower(true); err != nil {
		t.Fatal(err)
	}
	defer poweroff.SetPower(false)
	p, _ = collect(t, c, inv)
	if f := fact(t, p, "kvm1"); f.Power != "on" {
		t.Fatalf("after power on: %q", f.Power)
	}
}

func TestInsecureCapabilities(t *testing.T) {
	needSims(t)
	c := newCollector(collectors.IPMIConfig{Enabled: true})
	p, _ := collect(t, c, inventory(host{id: "1", name: "open", addr: insecure.Addr()}, host{id: "2", name: "closed", addr: healthy.Addr()}))
	f := fact(t, p, "open")
	if !isTrue(f.Anonymous) || !isTrue(f.NoneAuth) || !strings.Contains(strings.Join(f.AuthTypes, ","), "none") {
		t.Errorf("insecure BMC: anon=%v none=%v types=%v", f.Anonymous, f.NoneAuth, f.AuthTypes)
	}
	if g := fact(t, p, "closed"); !isFalse(g.Anonymous) || !isFalse(g.NoneAuth) || !isTrue(g.IPMIv20) {
		t.Errorf("hardened BMC: anon=%v none=%v v2=%v", g.Anonymous, g.NoneAuth, g.IPMIv20)
	}
}

func TestDefaultCredentialsAreComparedOffline(t *testing.T) {
	needSims(t)
	c := newCollector(sessionsConfig("root", "calvin"))
	p, _ := collect(t, c, inventory(host{id: "1", name: "idrac", addr: dellish.Addr()}))
	f := fact(t, p, "idrac")
	if !isTrue(f.DefaultCreds) || f.DefaultVendor != "Dell iDRAC" || f.Auth != authOK {
		t.Fatalf("default credentials: %v %q auth=%q", f.DefaultCreds, f.DefaultVendor, f.Auth)
	}
}

func TestDriversAndAddresses(t *testing.T) {
	c := newCollector(collectors.IPMIConfig{Enabled: true, Addresses: map[string]string{"kvm3": "bad addr:x"}})
	inv := inventory(
		host{id: "1", name: "kvm1", addr: "127.0.0.1:1", driver: "redfish"},
		host{id: "3", name: "kvm3", addr: "127.0.0.1:1"},
	)
	inv.Hosts = []collectors.Target{{ID: "9", UUID: "uuid-kvm9", Name: "kvm9"}}
	p, err := c.Collect(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if f := fact(t, p, "kvm1"); f.NotProbed == "" || f.Reachable != nil {
		t.Errorf("redfish BMC must be recorded as not probed: %+v", f)
	}
	if cv := p.Coverage[FactReachability]; cv.Failed["uuid-kvm3"] == "" {
		t.Errorf("a bad configured address is a collector failure for that host: %+v", cv)
	}
	if _, ok := p.OOBM["uuid-kvm9"]; ok {
		t.Error("a host without oobm row or configured BMC must not get a fact")
	}
}

func TestConfigInventoryTargets(t *testing.T) {
	needSims(t)
	// Without the database collector the BMC comes from the inventory entry.
	cfg := &collectors.Config{
		IPMI:      &collectors.IPMIConfig{Enabled: true},
		Inventory: []collectors.Target{{Name: "kvm1", UUID: "uuid-kvm1", Address: "10.0.0.1", BMC: healthy.Addr()}},
	}
	r := &collectors.Runner{Collectors: []collectors.Collector{New(cfg)}, Selected: map[string]bool{"ipmi": true}, Targets: cfg.Inventory}
	snap, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := snap.OOBM["uuid-kvm1"]
	if f == nil || !isTrue(f.Reachable) {
		t.Fatalf("inventory BMC: %+v", f)
	}
	if snap.Coverage[FactReachability] == nil || snap.Meta.Collectors["ipmi"].Stage != collectors.StageTargets {
		t.Errorf("runner did not record the collector: %+v", snap.Meta.Collectors["ipmi"])
	}
}

func TestNormalizeAddr(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.5":       "10.0.0.5:623",
		"10.0.0.5:6230":  "10.0.0.5:6230",
		"bmc1.example":   "bmc1.example:623",
		"fd00::5":        "[fd00::5]:623",
		"[fd00::5]:6230": "[fd00::5]:6230",
	} {
		got, err := normalizeAddr(in)
		if err != nil || got != want {
			t.Errorf("normalizeAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.5:0", "10.0.0.5:x", "a b"} {
		if _, err := normalizeAddr(bad); err == nil {
			t.Errorf("normalizeAddr(%q) accepted", bad)
		}
	}
}

func TestPasswordFile(t *testing.T) {
	needSims(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bmc.pass"), []byte(canary+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A relative password_file is resolved against the config file's directory.
	c := New(&collectors.Config{Path: filepath.Join(dir, "csaudit.yaml"), IPMI: &collectors.IPMIConfig{
		Enabled: true, Sessions: true, Username: "admin", PasswordFile: "bmc.pass", CipherSuite: intp(3),
	}}).(*Collector)
	p, _ := collect(t, c, inventory(host{id: "1", name: "kvm1", addr: healthy.Addr()}))
	if f := fact(t, p, "kvm1"); f.Auth != authOK {
		t.Fatalf("password from file: %q (%s)", f.Auth, f.AuthDetail)
	}
	if notes := strings.Join(p.Coverage[FactAuth].Notes, "\n"); !strings.Contains(notes, "readable or writable by group or other") {
		t.Errorf("a 0644 password file must be warned about: %q", notes)
	}
}

func TestInvalidSettingsAreACollectorFailure(t *testing.T) {
	for _, cfg := range []collectors.IPMIConfig{{CipherSuite: intp(0)}, {CipherSuite: intp(20)}, {CipherSuite: intp(-1)}, {Concurrency: -1}} {
		if _, err := newCollector(cfg).Collect(context.Background(), inventory()); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	// In the config file: 0 is an error naming the key, left out is suite 3.
	if _, err := collectors.ParseConfig([]byte("ipmi:\n  enabled: true\n  cipher_suite: 0\n")); err == nil || !strings.Contains(err.Error(), "ipmi.cipher_suite") {
		t.Errorf("cipher_suite: 0 in the config: %v", err)
	}
	for yaml, want := range map[string]int{"ipmi:\n  enabled: true\n": collectors.DefaultIPMICipherSuite, "ipmi:\n  cipher_suite: 17\n": 17} {
		cfg, err := collectors.ParseConfig([]byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		if got := New(cfg).(*Collector).suite(); got != want {
			t.Errorf("%q gives suite %d, want %d", yaml, got, want)
		}
	}
}

func TestRunDeadlineIsACoverageFailure(t *testing.T) {
	silent, err := testbed.StartSilentPeer()
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	c := newCollector(collectors.IPMIConfig{Enabled: true, Timeout: collectors.Duration(3 * time.Second)})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	p, err := c.Collect(ctx, inventory(host{id: "1", name: "kvm1", addr: silent.Addr()}))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the run's deadline did not stop the probe: %s", d)
	}
	f := fact(t, p, "kvm1")
	if f.Reachable != nil || f.Error == "" {
		t.Errorf("an unfinished probe is not a fact: %+v", f)
	}
	if cv := p.Coverage[FactReachability]; cv.Failed["uuid-kvm1"] == "" || len(cv.Collected) != 0 {
		t.Errorf("coverage: %+v", cv)
	}
}

func TestSharedBMCIsLoggedIntoOnce(t *testing.T) {
	needSims(t)
	relay, err := testbed.StartUDPRelay(healthy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	c := newCollector(sessionsConfig("admin", canary))
	p, _ := collect(t, c, inventory(host{id: "1", name: "kvm1", addr: relay.Addr()}, host{id: "2", name: "kvm2", addr: relay.Addr()}))
	for _, name := range []string{"kvm1", "kvm2"} {
		if f := fact(t, p, name); f.Auth != authOK || f.Power != "on" || f.HostName != name {
			t.Errorf("%s: %+v", name, f)
		}
	}
	if open, rakp := relay.Counts(); open != 1 || rakp != 1 {
		t.Errorf("two oobm rows naming one BMC gave %d/%d session attempts, want 1/1", open, rakp)
	}
	if cv := p.Coverage[FactAuth]; len(cv.Collected) != 2 {
		t.Errorf("both hosts are covered: %+v", cv)
	}
}

// A BMC that answers the presence ping but not IPMI gets no login: a login
// would wait out the timeout a second time while holding one of the
// credential's circuit-breaker slots (3 in flight), which made 30 such BMCs
// cost 10 timeouts.
func TestPingOnlyPeersCostTheTimeoutOnce(t *testing.T) {
	needSims(t)
	const n, timeout = 30, time.Second
	var hosts []host
	var peers []*testbed.PingOnlyPeer
	for i := range n {
		p, err := testbed.StartPingOnlyPeer()
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		peers = append(peers, p)
		hosts = append(hosts, host{id: fmt.Sprint(100 + i), name: fmt.Sprintf("hung%02d", i), addr: p.Addr()})
	}
	relay, err := testbed.StartUDPRelay(healthy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	hosts = append(hosts, host{id: "1", name: "ok", addr: relay.Addr()})
	cfg := sessionsConfig("admin", canary)
	cfg.Timeout = collectors.Duration(timeout)
	p, d := collect(t, newCollector(cfg), inventory(hosts...))
	for i, peer := range peers {
		name := fmt.Sprintf("hung%02d", i)
		f := fact(t, p, name)
		if !isTrue(f.Reachable) || !isTrue(f.Pong) || !isFalse(f.IPMIAnswering) || f.Auth != authNotTried ||
			!strings.Contains(f.AuthDetail, "IPMI not answering") || !strings.Contains(f.ReachDetail, "not IPMI") {
			t.Errorf("%s: reachable=%v pong=%v ipmi=%v auth=%q (%s) reach=%q", name, f.Reachable, f.Pong, f.IPMIAnswering, f.Auth, f.AuthDetail, f.ReachDetail)
		}
		if peer.Pongs() == 0 || peer.Sources() != 1 {
			t.Errorf("%s: %d pongs, datagrams from %d sockets; want the prober's socket only (no session client)", name, peer.Pongs(), peer.Sources())
		}
	}
	if f := fact(t, p, "ok"); f.Auth != authOK || !isTrue(f.IPMIAnswering) {
		t.Errorf("healthy BMC among hung ones: auth=%q (%s) ipmi=%v", f.Auth, f.AuthDetail, f.IPMIAnswering)
	}
	if open, _ := relay.Counts(); open != 1 {
		t.Errorf("healthy BMC: %d Open Session requests, want 1", open)
	}
	if cv := p.Coverage[FactAuth]; len(cv.Collected) != n+1 || len(cv.Failed) != 0 {
		t.Errorf("oobm.auth coverage: %d collected, failed %v", len(cv.Collected), cv.Failed)
	}
	// About one timeout: generous slack for a loaded machine, far below the
	// ten timeouts that queued logins cost.
	if d > 3*timeout {
		t.Errorf("%d ping-only BMCs took %s with a %s timeout", n, d, timeout)
	}
	t.Logf("%d ping-only peers + 1 healthy BMC, timeout %s: %s", n, timeout, d)
}

// Logins queued on the circuit breaker (at most 3 in flight per credential)
// must not hold concurrency slots: other BMCs are probed at once.
func TestQueuedLoginsDoNotDelayProbes(t *testing.T) {
	needSims(t)
	const timeout = time.Second
	var hosts []host
	// BMCs that answer IPMI v1.5 but never a session: each login waits out
	// the timeout.
	for i := range 9 {
		r, err := testbed.StartUDPRelay(healthy.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		r.DropRMCPPlus()
		hosts = append(hosts, host{id: fmt.Sprint(10 + i), name: fmt.Sprintf("a-nosession%d", i), addr: r.Addr()})
	}
	for i := range 4 {
		s, err := testbed.StartSilentPeer()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		hosts = append(hosts, host{id: fmt.Sprint(30 + i), name: fmt.Sprintf("z-silent%d", i), addr: s.Addr()})
	}
	cfg := sessionsConfig("admin", canary)
	cfg.Timeout = collectors.Duration(timeout)
	cfg.Concurrency = 8
	start := time.Now()
	p, d := collect(t, newCollector(cfg), inventory(hosts...))
	for i := range 4 {
		f := fact(t, p, fmt.Sprintf("z-silent%d", i))
		if wait := f.CollectedAt.Sub(start); wait > timeout/2 {
			t.Errorf("%s was probed %s after the start: its probe waited behind queued logins", f.HostName, wait)
		}
		if !isFalse(f.Reachable) {
			t.Errorf("%s: reachable=%v", f.HostName, f.Reachable)
		}
	}
	for i := range 9 {
		if f := fact(t, p, fmt.Sprintf("a-nosession%d", i)); f.Auth != authError {
			t.Errorf("%s: auth=%q (%s)", f.HostName, f.Auth, f.AuthDetail)
		}
	}
	t.Logf("9 session-dead BMCs (3 logins in flight) and 4 silent peers: %s", d)
}

// CloudStack does not use a BMC whose oobm row is disabled: csaudit probes it
// passively (its exposure on the network is the same) but does not log in.
func TestDisabledOOBMIsProbedButNotLoggedInto(t *testing.T) {
	needSims(t)
	relay, err := testbed.StartUDPRelay(healthy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	c := newCollector(sessionsConfig("admin", canary))
	p, _ := collect(t, c, inventory(host{id: "1", name: "kvm1", addr: relay.Addr(), disabled: true}))
	f := fact(t, p, "kvm1")
	if !isTrue(f.Reachable) || f.AuthTypes == nil || f.Auth != authNotTried || !strings.Contains(f.AuthDetail, "disabled") || f.Power != "" {
		t.Fatalf("disabled oobm: reachable=%v caps=%v auth=%q (%s) power=%q", f.Reachable, f.AuthTypes, f.Auth, f.AuthDetail, f.Power)
	}
	if open, rakp := relay.Counts(); open != 0 || rakp != 0 {
		t.Fatalf("a disabled oobm row got %d Open Session / %d RAKP1 requests", open, rakp)
	}
	if cv := p.Coverage[FactAuthCaps]; len(cv.Collected) != 1 {
		t.Errorf("capabilities coverage: %+v", cv)
	}
}
