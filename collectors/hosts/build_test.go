package hosts

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/csaudit/csaudit/collectors/sshpool"
)

// capturedSections is the script's real output from the testbed host.
func capturedSections(t *testing.T) map[string]section {
	t.Helper()
	secs, err := standard.split(readTestdata(t, "script_testbed.out"))
	if err != nil {
		t.Fatal(err)
	}
	return secs
}

// The captured host's clock line, as if it arrived 40 ms after a 20 ms
// round trip started: the host read its clock 10 ms before the line came in.
func clockConn(t *testing.T, secs map[string]section) (*sshpool.Conn, time.Time) {
	t.Helper()
	ht, err := parseClock(secs[SectionClock].Out)
	if err != nil {
		t.Fatal(err)
	}
	// The auditor's clock is 2.5 s ahead of the host's.
	return &sshpool.Conn{Addr: "h:22", RTT: 20 * time.Millisecond, FirstLine: ht.Add(2510 * time.Millisecond)}, ht
}

func TestClockReferencedToDatabase(t *testing.T) {
	secs := capturedSections(t)
	conn, _ := clockConn(t, secs)
	at := time.Now()
	dbAhead := 3000.0 // the database clock 3 s ahead of the auditor's

	for _, tc := range []struct {
		name    string
		ref     clockRef
		offset  float64
		refName string
		failed  bool
	}{
		{"database clock known", clockRef{dbOffsetMS: &dbAhead, dbSelected: true}, -5500, "database", false},
		{"no database collector", clockRef{}, -2500, "auditor", false},
		{"database clock unknown", clockRef{dbSelected: true}, -2500, "auditor", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, failed := standard.build(secs, at, at, conn, tc.ref)
			if h.Clock == nil {
				t.Fatalf("no clock fact: %v", failed)
			}
			if h.Clock.OffsetMS != tc.offset || h.Clock.Reference != tc.refName {
				t.Errorf("clock = %+v, want offset %v against %s", h.Clock, tc.offset, tc.refName)
			}
			if got := failed[FactClock] != ""; got != tc.failed {
				t.Errorf("hosts.clock failed = %q, want failed %v", failed[FactClock], tc.failed)
			}
		})
	}
}

// An audited port the interpreter cannot decide keeps its verdict as
// evidence but fails hosts.firewall for the host, naming port and family.
func TestIndeterminateFirewallFailsCoverage(t *testing.T) {
	secs := capturedSections(t)
	conn, _ := clockConn(t, secs)
	at := time.Now()
	h, failed := standard.build(secs, at, at, conn, clockRef{})
	if failed[FactFirewall] != "" || h.Firewall == nil {
		t.Fatalf("captured firewall: %+v, failed %q", h.Firewall, failed[FactFirewall])
	}

	secs[SectionIptables] = section{Out: []byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n" +
		"-A INPUT -p tcp -m tcp --dport 16509 -m recent --rcheck -j ACCEPT\nCOMMIT\n")}
	h, failed = standard.build(secs, at, at, conn, clockRef{})
	if h.Firewall == nil {
		t.Fatal("the firewall fact was dropped; it is the evidence")
	}
	if v := h.Firewall.Ports["16509"]; v.Verdict != VerdictIndeterminate {
		t.Errorf("16509 = %+v", v)
	}
	if v := h.Firewall.Ports["22"]; v.Verdict != VerdictOpen {
		t.Errorf("22 = %+v", v)
	}
	r := failed[FactFirewall]
	if !strings.HasPrefix(r, "indeterminate: port 16509 (IPv4): ") || !strings.Contains(r, "unsupported match module") ||
		strings.Contains(r, "port 22 ") {
		t.Errorf("hosts.firewall failed = %q", r)
	}
}

// Sections correctly framed but carrying bytes that are not UTF-8: the
// affected facts fail with a reason, the others are collected, nothing is
// mangled into the snapshot, and the firewall verdict becomes indeterminate.
func TestFramedNonUTF8(t *testing.T) {
	secs := capturedSections(t)
	conn, _ := clockConn(t, secs)
	bad := func(name string, s string) {
		sec := secs[name]
		sec.Out = []byte(s)
		sec.NotUTF8 = !utf8.ValidString(s)
		secs[name] = sec
	}
	bad(SectionCPU, "model name\t: Intel\xff\xfe Xeon\n")
	bad(SectionProps, "host=10.0.0.\xc3\n")
	bad(SectionSS, "LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"ss\xffhd\",pid=1,fd=3))\n")
	bad(SectionIptables, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"caf\xe9\" -j ACCEPT\nCOMMIT\n")
	at := time.Now()
	h, failed := standard.build(secs, at, at, conn, clockRef{})
	for _, f := range []string{FactCPU, FactProperties, FactListeners} {
		if !strings.Contains(failed[f], "not valid UTF-8") {
			t.Errorf("%s failed = %q", f, failed[f])
		}
	}
	if h.CPU != nil || h.Properties != nil || h.Listeners != nil {
		t.Errorf("facts built from non-UTF-8 output: cpu %+v props %+v listeners %+v", h.CPU, h.Properties, h.Listeners)
	}
	if h.Firewall == nil || h.Firewall.Ports["22"].Verdict != VerdictIndeterminate || !strings.Contains(failed[FactFirewall], "not valid UTF-8") {
		t.Errorf("firewall = %+v, failed %q", h.Firewall, failed[FactFirewall])
	}
	if h.Files == nil || h.Interfaces == nil || h.Clock == nil {
		t.Errorf("valid sections not collected: files %v interfaces %v clock %v", h.Files != nil, h.Interfaces != nil, h.Clock != nil)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json would write invalid bytes as \ufffd: none may appear.
	if !utf8.Valid(b) || strings.Contains(string(b), `\ufffd`) || strings.Contains(string(b), "\uFFFD") {
		t.Errorf("mangled text in the facts: %s", b)
	}
}

// split flags sections whose decoded output is not UTF-8.
func TestSplitSectionsFlagsNonUTF8(t *testing.T) {
	out := "@@csaudit clock " + b64("1700000000.5\n") + " 0\n@@csaudit agent " + b64("act\xffive\n") + " 0\n" +
		"@@csaudit cpu " + b64("model name\t: Xeon\n") + " 0\n"
	secs, err := standard.split([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if !secs[SectionAgent].NotUTF8 || secs[SectionCPU].NotUTF8 || secs[SectionClock].NotUTF8 {
		t.Errorf("flags: agent %v cpu %v clock %v", secs[SectionAgent].NotUTF8, secs[SectionCPU].NotUTF8, secs[SectionClock].NotUTF8)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
