package ipmi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// ipmi_sim holds at most 63 sessions (lanserv MAX_SESSIONS): a login that left
// its session open would make the 64th fail with no free session.
const simMaxSessions = 63

func TestSessionsAreClosed(t *testing.T) {
	needSims(t)
	sim, err := testbed.StartIPMISim(simDir, testbed.IPMISimOptions{Name: "sessions", User: "admin", Password: canary, PowerOn: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Stop()
	c := newCollector(sessionsConfig("admin", canary))
	// Two BMC addresses per run (the sim and a relay to it), so that the
	// logins of one run are concurrent.
	relay, err := testbed.StartUDPRelay(sim.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	inv := inventory(host{id: "1", name: "kvm1", addr: sim.Addr()}, host{id: "2", name: "kvm2", addr: relay.Addr()})
	const runs = simMaxSessions/2 + 4
	for run := range runs {
		p, _ := collect(t, c, inv)
		for _, name := range []string{"kvm1", "kvm2"} {
			if f := fact(t, p, name); f.Auth != authOK || f.Power != "on" || f.AuthDetail != "" {
				t.Fatalf("run %d, %s: auth=%q (%s) power=%q; earlier sessions were left open", run, name, f.Auth, f.AuthDetail, f.Power)
			}
		}
	}
	t.Logf("%d logins on a BMC that holds %d sessions, all accepted", 2*runs, simMaxSessions)
}

func TestSessionClosedWhenPrivilegeLevelFails(t *testing.T) {
	needSims(t)
	relay, err := testbed.StartUDPRelay(healthy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	// The session becomes active (RAKP 4), then Set Session Privilege Level
	// gets no answer and Connect fails after its context is spent.
	relay.DropAfterRAKP3()
	const timeout = 500 * time.Millisecond
	start := time.Now()
	r := login(context.Background(), relay.Addr(), credential{User: "admin", Password: canary}, 3, timeout)
	d := time.Since(start)
	if r.Auth != authOK || !strings.Contains(r.Detail, "Set Session Privilege Level failed") || r.PowerOn != nil {
		t.Fatalf("login: %+v", r)
	}
	relayed, dropped := relay.InSession()
	if dropped != 1 || relayed != 1 {
		t.Fatalf("in-session requests: %d dropped, %d relayed; want the dropped privilege request and one Close Session", dropped, relayed)
	}
	if !r.Closed {
		t.Error("the BMC did not answer the Close Session")
	}
	if d > 3*timeout {
		t.Errorf("login and close took %s", d)
	}
}

func TestConfiguredCipherSuiteIsOffered(t *testing.T) {
	needSims(t)
	for suite, want := range map[int]testbed.Algorithms{
		3:  {Auth: 1, Integrity: 1, Confidentiality: 1}, // RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128
		17: {Auth: 3, Integrity: 4, Confidentiality: 1}, // RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128
	} {
		relay, err := testbed.StartUDPRelay(healthy.Addr())
		if err != nil {
			t.Fatal(err)
		}
		cfg := sessionsConfig("admin", canary)
		cfg.CipherSuite = intp(suite)
		p, _ := collect(t, newCollector(cfg), inventory(host{id: "1", name: "kvm1", addr: relay.Addr()}))
		relay.Close()
		f := fact(t, p, "kvm1")
		if got := relay.Offered(); len(got) != 1 || got[0] != want {
			t.Errorf("cipher suite %d: Open Session offered %+v, want exactly one %+v", suite, got, want)
		}
		if f.CipherSuite == nil || *f.CipherSuite != suite {
			t.Errorf("cipher suite %d: fact records %v", suite, f.CipherSuite)
		}
		// ipmi_sim implements suite 3; 17 is not accepted, and that is no
		// reason to try another suite.
		if suite == 3 && f.Auth != authOK {
			t.Errorf("suite 3: %q (%s)", f.Auth, f.AuthDetail)
		}
		if suite == 17 && f.Auth != authError {
			t.Errorf("suite 17 on ipmi_sim: %q (%s)", f.Auth, f.AuthDetail)
		}
	}
}

// The session detail is one of a fixed set of texts, whatever the password.
// A library error that quoted the password, with the password replaced
// afterwards, would read differently for a one-letter or a common-word
// password.
func TestAuthDetailDoesNotDependOnThePassword(t *testing.T) {
	needSims(t)
	ipmiOnly, err := testbed.StartUDPRelay(healthy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer ipmiOnly.Close()
	ipmiOnly.DropRMCPPlus() // capabilities answered, no session ever
	hosts := []host{
		{id: "1", name: "wrongpw", addr: healthy.Addr()},
		{id: "2", name: "nosession", addr: ipmiOnly.Addr()},
	}
	details := map[string]string{}
	for _, pw := range []string{"x", "e", "session", "error", "failed", "timeout", canaryWrong} {
		cfg := sessionsConfig("admin", pw)
		cfg.Timeout = collectors.Duration(500 * time.Millisecond)
		p, _ := collect(t, newCollector(cfg), inventory(hosts...))
		for _, h := range hosts {
			f := fact(t, p, h.name)
			if strings.Contains(f.AuthDetail, "[redacted]") {
				t.Errorf("password %q, %s: %q", pw, h.name, f.AuthDetail)
			}
			if prev, ok := details[h.name]; ok && prev != f.AuthDetail {
				t.Errorf("%s: detail %q with password %q, %q with another", h.name, f.AuthDetail, pw, prev)
			}
			details[h.name] = f.AuthDetail
		}
	}
	if want := "password rejected (RAKP 2 authentication code mismatch)"; details["wrongpw"] != want {
		t.Errorf("wrong password: %q, want %q", details["wrongpw"], want)
	}
	if want := "RMCP+ Open Session failed: no answer within the timeout"; details["nosession"] != want {
		t.Errorf("no session: %q, want %q", details["nosession"], want)
	}
	t.Logf("details: %v", details)
}

func TestClassifyNamesFailuresWithFixedTexts(t *testing.T) {
	const pw = "x"
	for _, c := range []struct {
		err  error
		auth string
		want string
	}{
		{fmt.Errorf("cmd: rakp1 failed with cipher suite id (3), err: %s %s", "RMCP+ status 0x0d", pw), authFailed, "user name rejected (RMCP+ status 0x0d)"},
		{fmt.Errorf("cmd: RMCP+ Open Session failed with cipher suite id (3), err: RMCP+ status 0x11 expected %s", pw), authError,
			"cipher suite 3 not accepted (RMCP+ status 0x11: No Cipher Suite match with proposed security algorithms)"},
		{fmt.Errorf("cmd: RMCP+ Open Session failed, err: RMCP+ status 0x01"), authError,
			"RMCP+ Open Session refused (RMCP+ status 0x01: Insufficient resources to create a session)"},
		{fmt.Errorf("cmd: rakp3 failed with cipher suite id (3), err: unexpected %s byte", pw), authError,
			"RAKP 3/4 failed: protocol error (unexpected or malformed answer)"},
		{fmt.Errorf("weird: %w", context.DeadlineExceeded), authError, "session setup failed: no answer within the timeout"},
	} {
		r := classify(c.err, 3)
		if r.Auth != c.auth || r.Detail != c.want {
			t.Errorf("classify(%q) = %q %q; want %q %q", c.err, r.Auth, r.Detail, c.auth, c.want)
		}
	}
}
