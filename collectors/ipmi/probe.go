package ipmi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// The passive probes are two unauthenticated datagrams: an RMCP/ASF presence
// ping and an IPMI v1.5 session-less Get Channel Authentication Capabilities.
// They are written here rather than through go-ipmi because both must share one
// socket and one deadline (a dead BMC costs the timeout once), and because
// go-ipmi's Get Channel Authentication Capabilities refuses to return the
// capabilities of a BMC without anonymous login when no user name is set.

const (
	rmcpVersion   = 0x06
	rmcpNoAck     = 0xff
	rmcpClassASF  = 0x06
	rmcpClassIPMI = 0x07
	asfIANA       = 4542
	asfPing       = 0x80
	asfPong       = 0x40

	netFnApp        = 0x06
	cmdGetAuthCaps  = 0x38
	bmcSlaveAddr    = 0x20
	remoteSWID      = 0x81
	channelCurrent  = 0x0e
	extendedDataBit = 0x80
	privAdmin       = 0x04
)

// capabilities is the answer to Get Channel Authentication Capabilities.
type capabilities struct {
	AuthTypes      []string // none, md2, md5, password, oem
	Anonymous      bool     // null user name and null password accepted
	NullUser       bool     // null user names (with a password) enabled
	NonNullUsers   bool
	IPMIv15        bool
	IPMIv20        bool
	PerMsgAuthOff  bool
	UserLvlAuthOff bool
	KGSet          bool
}

// probeResult is what the passive probes saw.
type probeResult struct {
	Pong      bool
	Answered  bool          // Get Channel Authentication Capabilities got a response
	Caps      *capabilities // nil when the response carried an error code
	Refused   bool
	RTT       time.Duration
	Elapsed   time.Duration
	LastError string // a local socket error (not "no answer")
	// Interrupted is set when the caller's context ended the probe before
	// its own timeout: silence so far proves nothing.
	Interrupted bool
}

// Reachable is true when the BMC answered either probe.
func (r probeResult) Reachable() bool { return r.Pong || r.Answered }

func pingPacket(tag byte) []byte {
	return []byte{rmcpVersion, 0x00, rmcpNoAck, rmcpClassASF,
		0x00, 0x00, byte(asfIANA >> 8), byte(asfIANA & 0xff), asfPing, tag, 0x00, 0x00}
}

// authCapsPacket builds the request inside an IPMI v1.5 session header with auth
// type none and session id 0, which every BMC accepts before a session exists.
func authCapsPacket(seq byte, extended bool) []byte {
	ch := byte(channelCurrent)
	if extended {
		ch |= extendedDataBit
	}
	msg := []byte{bmcSlaveAddr, netFnApp << 2, 0, remoteSWID, seq << 2, cmdGetAuthCaps, ch, privAdmin, 0}
	msg[2] = checksum(msg[0:2])
	msg[8] = checksum(msg[3:8])
	hdr := []byte{rmcpVersion, 0x00, rmcpNoAck, rmcpClassIPMI, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(msg))}
	return append(hdr, msg...)
}

func checksum(b []byte) byte {
	var s byte
	for _, x := range b {
		s += x
	}
	return -s
}

// parsePong reports whether b is a presence pong for tag.
func parsePong(b []byte, tag byte) bool {
	return len(b) >= 12 && b[0] == rmcpVersion && b[3] == rmcpClassASF &&
		b[4] == 0 && b[5] == 0 && b[6] == byte(asfIANA>>8) && b[7] == byte(asfIANA&0xff) &&
		b[8] == asfPong && b[9] == tag
}

var errNotAuthCaps = errors.New("not a Get Channel Authentication Capabilities response")

// parseAuthCaps decodes a Get Channel Authentication Capabilities response for
// sequence seq. It returns the completion code when it is not 0.
func parseAuthCaps(b []byte, seq byte) (*capabilities, byte, error) {
	if len(b) < 14 || b[0] != rmcpVersion || b[3] != rmcpClassIPMI {
		return nil, 0, errNotAuthCaps
	}
	off := 4
	authType := b[off]
	off += 1 + 4 + 4 // auth type, sequence, session id
	if authType == 0x06 {
		return nil, 0, errNotAuthCaps // an RMCP+ packet, not our v1.5 answer
	}
	if authType != 0 {
		off += 16 // an authentication code follows the session id
	}
	if len(b) < off+1 {
		return nil, 0, errNotAuthCaps
	}
	n := int(b[off])
	msg := b[off+1:]
	// Seven header bytes with the completion code, then the checksum.
	if n < 8 || len(msg) < n {
		return nil, 0, errNotAuthCaps
	}
	msg = msg[:n]
	// rqAddr, netFn/rqLUN, chk, rsAddr, rqSeq/rsLUN, cmd, cc, data..., chk
	if msg[1]>>2 != netFnApp+1 || msg[5] != cmdGetAuthCaps || msg[4]>>2 != seq&0x3f {
		return nil, 0, errNotAuthCaps
	}
	if cc := msg[6]; cc != 0 {
		return nil, cc, nil
	}
	data := msg[7 : n-1]
	if len(data) < 3 {
		return nil, 0, fmt.Errorf("auth capabilities: %d data bytes, want at least 3", len(data))
	}
	c := &capabilities{}
	for bit, name := range map[int]string{0: "none", 1: "md2", 2: "md5", 4: "password", 5: "oem"} {
		if data[1]&(1<<bit) != 0 {
			c.AuthTypes = append(c.AuthTypes, name)
		}
	}
	sortAuth(c.AuthTypes)
	c.Anonymous = data[2]&0x01 != 0
	c.NullUser = data[2]&0x02 != 0
	c.NonNullUsers = data[2]&0x04 != 0
	c.UserLvlAuthOff = data[2]&0x08 != 0
	c.PerMsgAuthOff = data[2]&0x10 != 0
	c.KGSet = data[2]&0x20 != 0
	if data[1]&0x80 != 0 && len(data) >= 4 {
		c.IPMIv15 = data[3]&0x01 != 0
		c.IPMIv20 = data[3]&0x02 != 0
	} else {
		c.IPMIv15 = true
	}
	return c, 0, nil
}

func sortAuth(s []string) {
	order := map[string]int{"none": 0, "md2": 1, "md5": 2, "password": 3, "oem": 4}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && order[s[j]] < order[s[j-1]]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// probe sends both requests on one connected UDP socket and resends the
// unanswered ones a few times inside the timeout, so one lost datagram does
// not make a BMC unreachable while a dead one still costs the timeout once.
// A connected socket also surfaces ICMP port-unreachable as ECONNREFUSED.
func probe(ctx context.Context, addr string, timeout time.Duration) (r probeResult) {
	start := time.Now()
	defer func() { r.Elapsed = time.Since(start) }()
	deadline := start.Add(timeout)
	cut := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, cut = d, true
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "udp", addr)
	if err != nil {
		r.LastError = err.Error()
		r.Interrupted = ctx.Err() != nil
		return r
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()

	const tag, seq = 0x5a, 0x11
	extended := true
	resend := timeout / 3
	next := start
	buf := make([]byte, 512)
	for {
		now := time.Now()
		if !now.Before(deadline) || ctx.Err() != nil {
			r.Interrupted = !r.Reachable() && (cut || ctx.Err() != nil)
			return r
		}
		if !now.Before(next) {
			// A pending ICMP error is reported by whichever call comes next,
			// a write included.
			var werr error
			if !r.Pong {
				_, werr = conn.Write(pingPacket(tag))
			}
			if !r.Answered && werr == nil {
				_, werr = conn.Write(authCapsPacket(seq, extended))
			}
			if errors.Is(werr, syscall.ECONNREFUSED) {
				r.Refused = true
				return r
			}
			next = now.Add(resend)
		}
		wake := next
		if deadline.Before(wake) {
			wake = deadline
		}
		_ = conn.SetReadDeadline(wake)
		n, err := conn.Read(buf)
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				r.Refused = true
				return r
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // the loop head decides whether time is up
			}
			r.LastError = err.Error()
			return r
		}
		got := buf[:n]
		first := !r.Reachable()
		if parsePong(got, tag) {
			r.Pong = true
		} else {
			caps, cc, err := parseAuthCaps(got, seq)
			if err != nil {
				continue // a stray or malformed datagram
			}
			if caps == nil && extended && cc == 0xcc {
				// A v1.5-only BMC may reject the v2.0 extended-data bit;
				// ask again without it.
				extended = false
				next = time.Now()
			} else {
				r.Answered, r.Caps = true, caps
				if caps == nil {
					r.LastError = fmt.Sprintf("get channel authentication capabilities: completion code %#02x", cc)
				}
			}
		}
		if first && r.Reachable() {
			r.RTT = time.Since(start)
		}
		if first && r.Answered && !r.Pong {
			// Many BMCs do not implement the ASF ping: once IPMI answered,
			// do not let a missing pong cost the whole timeout. A pong alone
			// does not shorten the wait for IPMI, whose silence decides
			// whether a login is tried.
			if d := time.Now().Add(timeout / 3); d.Before(deadline) {
				deadline = d
			}
		}
		if r.Pong && r.Answered {
			return r
		}
	}
}
