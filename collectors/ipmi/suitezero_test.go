package ipmi

import (
	"context"
	"net"
	"testing"
	"time"

	gobmc "github.com/bougou/go-ipmi/pkg/bmc"
	"github.com/bougou/go-ipmi/pkg/clock"
	"github.com/bougou/go-ipmi/pkg/hal/mock"
	"github.com/bougou/go-ipmi/pkg/server"
	"github.com/bougou/go-ipmi/pkg/transport/udp"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/csaudit/csaudit/fixtures/testbed"
)

// goIPMIBMC starts go-ipmi's reference BMC (a second real peer beside
// ipmi_sim) advertising the given cipher suites on a loopback port.
func goIPMIBMC(t *testing.T, suites ...types.CipherSuiteID) string {
	t.Helper()
	b := gobmc.New(gobmc.DeviceInfo{IPMIVersion: 0x20}, [16]byte{}, mock.New(), gobmc.WithClock(clock.Real))
	u, err := b.Users.Add(2, "admin")
	if err != nil {
		t.Fatal(err)
	}
	u.SetPassword([]byte("password"))
	u.Enabled = true
	u.ChannelAccess[1] = gobmc.UserChannelAccess{MaxPrivilege: gobmc.PrivilegeLevelAdministrator, Enabled: true}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewServer(b, udp.Wrap(conn, udp.WithReadTimeout(time.Second)), server.WithCipherSuites(suites))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); conn.Close(); <-done })
	return conn.LocalAddr().String()
}

func TestSuiteZeroProbe(t *testing.T) {
	sim, err := testbed.StartIPMISim(t.TempDir(), testbed.IPMISimOptions{Name: "suite0", User: "admin", Password: "password", PowerOn: true})
	if err != nil {
		testbed.Missing(t, err)
	}
	defer sim.Stop()
	for _, tc := range []struct {
		name string
		addr string
		want bool
	}{
		// OpenIPMI's lanserv runs RAKP-none sessions: the weakness a BMC must not have.
		{"ipmi_sim", sim.Addr(), true},
		{"go-ipmi with suites 3 and 17", goIPMIBMC(t, types.CipherSuiteID3, types.CipherSuiteID17), false},
		{"go-ipmi with suite 0 enabled", goIPMIBMC(t, types.CipherSuiteID0, types.CipherSuiteID3), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, detail := probeSuiteZero(context.Background(), tc.addr, 2*time.Second)
			if got == nil {
				t.Fatalf("no verdict: %s", detail)
			}
			if *got != tc.want {
				t.Errorf("accepted = %v, want %v (%s)", *got, tc.want, detail)
			}
		})
	}
}

func TestSuiteZeroProbeSilentPeer(t *testing.T) {
	p, err := testbed.StartSilentPeer()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, detail := probeSuiteZero(context.Background(), p.Addr(), 300*time.Millisecond)
	if got != nil {
		t.Fatalf("verdict %v from a silent peer", *got)
	}
	if detail != "cipher suite 0 probe: no answer within 300ms" {
		t.Errorf("detail = %q", detail)
	}
	if p.Received() < 1 {
		t.Error("the peer received nothing")
	}
}

func TestParseSuiteZero(t *testing.T) {
	resp := func(tag, status byte, alg byte) []byte {
		p := make([]byte, 36)
		p[0], p[1] = tag, status
		p[16], p[24], p[32] = alg, alg, alg
		n := len(p)
		if status != 0 {
			p, n = p[:8], 8
		}
		return append([]byte{rmcpVersion, 0, rmcpNoAck, rmcpClassIPMI, authTypeRMCPPlus, payloadOpenSessionResp, 0, 0, 0, 0, 0, 0, 0, 0, byte(n), 0}, p...)
	}
	for _, tc := range []struct {
		name     string
		b        []byte
		accepted bool
		status   byte
		err      bool
	}{
		{"accepted", resp(0x30, 0, 0), true, 0, false},
		{"other algorithms chosen", resp(0x30, 0, 1), false, 0, false},
		{"no cipher suite match", resp(0x30, 0x11, 0), false, 0x11, false},
		{"another tag", resp(0x31, 0, 0), false, 0, true},
		{"a v1.5 packet", authCapsPacket(1, true), false, 0, true},
		{"truncated", resp(0x30, 0, 0)[:20], false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acc, status, err := parseSuiteZero(tc.b, 0x30)
			if (err != nil) != tc.err || acc != tc.accepted || status != tc.status {
				t.Errorf("got (%v, %#x, %v), want (%v, %#x, err %v)", acc, status, err, tc.accepted, tc.status, tc.err)
			}
		})
	}
}
