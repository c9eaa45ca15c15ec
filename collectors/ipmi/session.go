package ipmi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/types"
)

// Outcomes of a login, as recorded in BMCFacts.Auth.
const (
	authOK       = "ok"
	authFailed   = "failed"    // the BMC rejected the credentials
	authError    = "error"     // the login did not complete for another reason
	authNotTried = "not_tried" // sessions off, no credentials, or circuit breaker open
)

// sessionResult is one login attempt and what it read.
type sessionResult struct {
	Auth    string
	Detail  string // never contains the password
	PowerOn *bool
	Elapsed time.Duration
}

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
		return sessionResult{Auth: authError, Detail: scrub(err.Error(), cred.Password)}
	}
	c.WithCipherSuiteID(types.CipherSuiteID(suite)).
		WithTimeout(timeout).
		WithRetry(0).
		// Reading the chassis status needs only User privilege.
		WithMaxPrivilegeLevel(types.PrivilegeLevelUser)

	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = c.Connect(sctx)
	if err != nil {
		// No session exists: Close with a cancelled context sends nothing and
		// only releases the socket.
		dead, stop := context.WithCancel(context.Background())
		stop()
		_ = c.Close(dead)
		return classify(err, cred.Password, suite)
	}
	defer func() {
		// Always close, even when the run's context is done, within a bound.
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), min(timeout, 2*time.Second))
		defer ccancel()
		if err := c.Close(cctx); err != nil && res.Auth == authOK {
			res.Detail = "session close: " + scrub(err.Error(), cred.Password)
		}
	}()
	st, err := c.GetChassisStatus(sctx)
	if err != nil {
		return sessionResult{Auth: authOK, Detail: "chassis status: " + scrub(err.Error(), cred.Password)}
	}
	on := st.PowerIsOn
	return sessionResult{Auth: authOK, PowerOn: &on}
}

var rmcpStatusText = regexp.MustCompile(`RMCP\+ status 0x([0-9a-fA-F]{1,2})`)

// classify separates "the BMC rejected these credentials" (which feeds the
// circuit breaker) from every other failure.
//
// go-ipmi v0.9.1's Connect20 formats the per-suite errors with %v, which breaks
// the error chain, so the sentinel and status code are also matched in the text.
func classify(err error, password string, suite int) sessionResult {
	var st *types.RmcpStatusError
	code, hasCode := types.RmcpStatusCode(0), false
	if errors.As(err, &st) {
		code, hasCode = st.StatusCode(), true
	} else if m := rmcpStatusText.FindStringSubmatch(err.Error()); m != nil {
		if v, perr := strconv.ParseUint(m[1], 16, 8); perr == nil {
			code, hasCode = types.RmcpStatusCode(v), true
		}
	}
	switch {
	case errors.Is(err, client.ErrRAKPAuthentication), strings.Contains(err.Error(), client.ErrRAKPAuthentication.Error()):
		return sessionResult{Auth: authFailed, Detail: "password rejected (RAKP2 authentication code mismatch)"}
	case hasCode:
		switch code {
		case types.RmcpStatusCodeUnauthorizedName:
			return sessionResult{Auth: authFailed, Detail: "user name rejected (RMCP+ status 0x0d)"}
		case types.RmcpStatusCodeInvalidIntegrityCheckValue, types.RmcpStatusCodeInvalidRole,
			types.RmcpStatusCodeUnauthorizedRoleOfPriLevel:
			return sessionResult{Auth: authFailed, Detail: fmt.Sprintf("credentials rejected (RMCP+ status %#02x: %s)", uint8(code), code)}
		case types.RmcpStatusCodeInvalidAuthAlg, types.RmcpStatusCodeInvalidIntegrityAlg,
			types.RmcpStatusCodeInvalidConfidentAlg, types.RmcpStatusCodeNoCipherSuiteMatch:
			return sessionResult{Auth: authError, Detail: fmt.Sprintf("cipher suite %d not accepted (RMCP+ status %#02x: %s)", suite, uint8(code), code)}
		default:
			return sessionResult{Auth: authError, Detail: fmt.Sprintf("RMCP+ status %#02x: %s", uint8(code), code)}
		}
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return sessionResult{Auth: authError, Detail: "no answer during session setup within the timeout"}
	}
	return sessionResult{Auth: authError, Detail: scrub(oneLine(err.Error()), password)}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// oneLine joins go-ipmi's multi-line errors and bounds their length.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400]
	}
	return s
}

// scrub removes the password from text that came from a library, in case an
// error ever quotes it.
func scrub(s, password string) string {
	if password != "" {
		s = strings.ReplaceAll(s, password, "[redacted]")
	}
	return s
}
