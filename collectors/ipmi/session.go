package ipmi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/types"
)

// Outcomes of a login, as recorded in BMCFacts.Auth.
const (
	authOK       = "ok"
	authFailed   = "failed"    // the BMC rejected the credentials
	authError    = "error"     // the login did not complete for another reason
	authNotTried = "not_tried" // sessions off, no credentials, IPMI not answering, oobm disabled or circuit breaker open
)

// sessionResult is one login attempt and what it read. Detail is always one of
// a fixed set of texts built here, never a library's error text: such text may
// quote anything it was given, and replacing the password in it would leave a
// short password readable around the replacement.
type sessionResult struct {
	Auth    string
	Detail  string
	PowerOn *bool
	Elapsed time.Duration
	// Closed is set when an active session was closed with a Close Session
	// the BMC answered.
	Closed bool
}

// closeTimeout bounds the Close Session of an active session. It has its own
// context so that a session is closed even when the login ran out of time.
const closeTimeout = 2 * time.Second

// login opens exactly one RMCP+ session with one cipher suite, reads the chassis
// power state and closes the session. go-ipmi retries an exchange only when it
// times out; retries are set to 0 so that a lost RAKP message is not replayed
// as a second authentication attempt.
func login(ctx context.Context, addr string, cred credential, suite int, timeout time.Duration) (res sessionResult) {
	start := time.Now()
	defer func() { res.Elapsed = time.Since(start) }()
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return sessionResult{Auth: authError, Detail: "bad address"}
	}
	port, _ := strconv.Atoi(portStr)
	c, err := client.NewClient(host, port, cred.User, cred.Password)
	if err != nil {
		// go-ipmi's only refusal here is a user name over 16 bytes.
		return sessionResult{Auth: authError, Detail: "user name longer than IPMI allows (16 bytes)"}
	}
	c.WithCipherSuiteID(types.CipherSuiteID(suite)).
		WithTimeout(timeout).
		WithRetry(0).
		// Reading the chassis status needs only User privilege.
		WithMaxPrivilegeLevel(types.PrivilegeLevelUser)

	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = c.Connect(sctx)
	if err != nil && !activeAfter(err) {
		// No session exists on the BMC: Close with a cancelled context sends
		// nothing and only releases the socket.
		dead, stop := context.WithCancel(context.Background())
		stop()
		_ = c.Close(dead)
		return classify(err, suite)
	}
	// The session is active (RAKP 4 validated). Close it whatever happens
	// next, with a fresh bounded context: the login's own may be spent.
	defer func() {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), min(timeout, closeTimeout))
		defer ccancel()
		cerr := c.Close(cctx)
		res.Closed = cerr == nil
		if cerr != nil && res.Auth == authOK && res.Detail == "" {
			res.Detail = "Close Session failed: " + category(cerr)
		}
	}()
	if err != nil {
		// The BMC accepted the credentials; the privilege change after it
		// failed, so no command can be sent.
		return sessionResult{Auth: authOK, Detail: "credentials accepted, then Set Session Privilege Level failed: " + category(err)}
	}
	st, err := c.GetChassisStatus(sctx)
	if err != nil {
		return sessionResult{Auth: authOK, Detail: "Get Chassis Status failed: " + category(err)}
	}
	on := st.PowerIsOn
	return sessionResult{Auth: authOK, PowerOn: &on}
}

// activeAfter reports whether Connect failed after the session became active.
// go-ipmi v0.9.1's Connect20 activates the session with RAKP 3/4 and then sets
// the session privilege level; only that last step's error has this prefix.
// The library does not export the session state, so the text is the only
// sign (pinned by TestSessionClosedWhenPrivilegeLevelFails).
func activeAfter(err error) bool {
	return strings.HasPrefix(err.Error(), "SetSessionPrivilegeLevel")
}

var rmcpStatusText = regexp.MustCompile(`RMCP\+ status 0x([0-9a-fA-F]{1,2})`)

// classify separates "the BMC rejected these credentials" (which feeds the
// circuit breaker) from every other failure, and names the failure with a
// fixed text.
//
// go-ipmi v0.9.1's Connect20 formats the per-suite errors with %v, which breaks
// the error chain, so the sentinel and status code are also matched in the text.
func classify(err error, suite int) sessionResult {
	var st *types.RmcpStatusError
	code, hasCode := types.RmcpStatusCode(0), false
	if errors.As(err, &st) {
		code, hasCode = st.StatusCode(), true
	} else if m := rmcpStatusText.FindStringSubmatch(err.Error()); m != nil {
		if v, perr := strconv.ParseUint(m[1], 16, 8); perr == nil {
			code, hasCode = types.RmcpStatusCode(v), true
		}
	}
	step := setupStep(err)
	switch {
	case errors.Is(err, client.ErrRAKPAuthentication), strings.Contains(err.Error(), client.ErrRAKPAuthentication.Error()):
		return sessionResult{Auth: authFailed, Detail: "password rejected (RAKP 2 authentication code mismatch)"}
	case hasCode:
		// code.String() is go-ipmi's fixed table of IPMI status names.
		switch code {
		case types.RmcpStatusCodeUnauthorizedName:
			return sessionResult{Auth: authFailed, Detail: "user name rejected (RMCP+ status 0x0d)"}
		case types.RmcpStatusCodeInvalidIntegrityCheckValue, types.RmcpStatusCodeInvalidRole,
			types.RmcpStatusCodeUnauthorizedRoleOfPriLevel:
			return sessionResult{Auth: authFailed, Detail: fmt.Sprintf("credentials rejected (RMCP+ status %#02x: %s)", uint8(code), code)}
		case types.RmcpStatusCodeInvalidAuthAlg, types.RmcpStatusCodeInvalidIntegrityAlg,
			types.RmcpStatusCodeInvalidConfidentAlg, types.RmcpStatusCodeNoCipherSuiteMatch,
			types.RmcpStatusCodeNoMatchingAuthPayload, types.RmcpStatusCodeNoMatchingIntegrityPayload:
			return sessionResult{Auth: authError, Detail: fmt.Sprintf("cipher suite %d not accepted (RMCP+ status %#02x: %s)", suite, uint8(code), code)}
		default:
			return sessionResult{Auth: authError, Detail: fmt.Sprintf("%s refused (RMCP+ status %#02x: %s)", step, uint8(code), code)}
		}
	}
	return sessionResult{Auth: authError, Detail: step + " failed: " + category(err)}
}

// setupSteps are go-ipmi v0.9.1's fixed prefixes for the session setup steps,
// in the order Connect20 runs them; the last one found in the text is the step
// that failed.
var setupSteps = []struct{ marker, name string }{
	{"Get Channel Authentication Capabilities failed", "Get Channel Authentication Capabilities"},
	{"Open Session failed", "RMCP+ Open Session"},
	{"rakp1 failed", "RAKP 1/2"},
	{"rakp3 failed", "RAKP 3/4"},
}

func setupStep(err error) string {
	s, name := err.Error(), "session setup"
	for _, st := range setupSteps {
		if strings.Contains(s, st.marker) {
			name = st.name
		}
	}
	return name
}

// category names an exchange failure with a fixed text.
func category(err error) string {
	var re *types.ResponseError
	// go-ipmi's texts for "no answer": deadline exceeded, no datagram matched
	// before the read deadline, read timed out (v0.9.1 interface_lan.go).
	s := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), strings.Contains(s, "connection refused"):
		return "UDP port closed (ICMP port unreachable)"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), isTimeout(err),
		strings.Contains(s, "deadline"), strings.Contains(s, "timed out"), strings.Contains(s, "canceled"):
		return "no answer within the timeout"
	case errors.As(err, &re):
		return fmt.Sprintf("completion code %#02x", uint8(re.CompletionCode()))
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return "network error"
	}
	return "protocol error (unexpected or malformed answer)"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
