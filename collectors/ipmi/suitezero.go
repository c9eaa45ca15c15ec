package ipmi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// The cipher suite 0 probe is one RMCP+ Open Session Request that offers only
// the "none" algorithms (RAKP-none, no integrity, no confidentiality). It names
// no user and sends no RAKP message, so it is no authentication attempt: the
// Open Session Response alone says whether the BMC would run a session in which
// a known user name logs in with any password.
//
// Not yet called by the collector: a BMC that accepts keeps the half-open
// session until its own timeout, and ipmi_sim, which accepts, ran out of
// session slots when the probe ran on every audit (TestSessionsAreClosed); it
// also breaks the rule that a run offers only the configured cipher suite.
// Wiring it in needs a decision on both (issue #13 B, CSA-OOBM-003).

const (
	authTypeRMCPPlus       = 0x06
	payloadOpenSessionReq  = 0x10
	payloadOpenSessionResp = 0x11
)

// suiteZeroConsoleSession is the remote console session id the request names
// (little-endian, non-zero as the specification requires).
var suiteZeroConsoleSession = [4]byte{0x01, 0x00, 0x5a, 0x5a}

// suiteZeroPacket is an Open Session Request proposing cipher suite 0.
func suiteZeroPacket(tag byte) []byte {
	p := []byte{
		tag, 0x00, 0x00, 0x00, // tag, highest privilege the algorithms allow, reserved
		suiteZeroConsoleSession[0], suiteZeroConsoleSession[1], suiteZeroConsoleSession[2], suiteZeroConsoleSession[3],
		0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, // authentication: RAKP-none
		0x01, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, // integrity: none
		0x02, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, // confidentiality: none
	}
	hdr := []byte{rmcpVersion, 0x00, rmcpNoAck, rmcpClassIPMI,
		authTypeRMCPPlus, payloadOpenSessionReq, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(p)), 0}
	return append(hdr, p...)
}

var errNotOpenSession = errors.New("not an Open Session Response")

// parseSuiteZero decodes the Open Session Response to tag: accepted is true
// when the status is 0 and the BMC chose the none algorithms, false for a
// refusal; status is the RMCP+ status code.
func parseSuiteZero(b []byte, tag byte) (accepted bool, status byte, err error) {
	const hdr = 16
	if len(b) < hdr+2 || b[0] != rmcpVersion || b[3] != rmcpClassIPMI || b[4] != authTypeRMCPPlus || b[5]&0x3f != payloadOpenSessionResp {
		return false, 0, errNotOpenSession
	}
	n := int(b[14]) | int(b[15])<<8
	p := b[hdr:]
	if len(p) < n || n < 2 || p[0] != tag {
		return false, 0, errNotOpenSession
	}
	status = p[1]
	if status != 0 {
		return false, status, nil
	}
	if n < 36 {
		return false, 0, fmt.Errorf("open session response: %d bytes, want 36", n)
	}
	// The chosen algorithms sit at payload offsets 16, 24 and 32.
	return p[16]&0x3f == 0 && p[24]&0x3f == 0 && p[32]&0x3f == 0, 0, nil
}

// probeSuiteZero sends the request (resent inside the timeout, like the
// passive probes) and reports the BMC's answer; accepted is nil when it gave
// none, with detail saying why.
func probeSuiteZero(ctx context.Context, addr string, timeout time.Duration) (accepted *bool, detail string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, "cipher suite 0 probe: network error"
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	const tag = 0x30
	buf := make([]byte, 512)
	for try := 0; try < 3 && ctx.Err() == nil; try++ {
		if _, err := conn.Write(suiteZeroPacket(tag)); err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				return nil, "cipher suite 0 probe: UDP port closed (ICMP port unreachable)"
			}
			return nil, "cipher suite 0 probe: network error"
		}
		_ = conn.SetReadDeadline(time.Now().Add(timeout / 3))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				if errors.Is(err, syscall.ECONNREFUSED) {
					return nil, "cipher suite 0 probe: UDP port closed (ICMP port unreachable)"
				}
				break // resend, or give up when the context is done
			}
			ok, status, perr := parseSuiteZero(buf[:n], tag)
			if errors.Is(perr, errNotOpenSession) {
				continue // a stray datagram
			}
			if perr != nil {
				return nil, "cipher suite 0 probe: protocol error (malformed Open Session Response)"
			}
			if status != 0 {
				return &ok, fmt.Sprintf("cipher suite 0 refused (RMCP+ status %#02x)", status)
			}
			if ok {
				return &ok, "cipher suite 0 accepted (Open Session Response status 0 with the none algorithms)"
			}
			return &ok, "cipher suite 0 not chosen (the BMC answered with other algorithms)"
		}
	}
	return nil, fmt.Sprintf("cipher suite 0 probe: no answer within %s", timeout)
}
