package ipmi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// credential is a BMC login held in memory only. Its String method hides the
// password so that a stray %v cannot print it.
type credential struct {
	User     string
	Password string
	Source   string // config or cloudstack
}

func (c credential) String() string { return "credential{" + c.User + ", [redacted]}" }

// GoString hides the password from %#v as well.
func (c credential) GoString() string { return c.String() }

// key identifies the credential for the circuit breaker without keeping the
// password as a map key.
func (c credential) key() string {
	h := sha256.Sum256([]byte(c.User + "\x00" + c.Password))
	return hex.EncodeToString(h[:])
}

// vendorDefaults are factory user/password pairs of common BMCs. They are only
// compared with stored credentials; csaudit never tries them on a BMC.
var vendorDefaults = []struct{ Vendor, User, Password string }{
	{"Dell iDRAC", "root", "calvin"},
	{"Supermicro", "ADMIN", "ADMIN"},
	{"IBM IMM / Lenovo XCC", "USERID", "PASSW0RD"},
	{"Fujitsu iRMC", "admin", "admin"},
	{"Oracle ILOM", "root", "changeme"},
	{"Cisco CIMC", "admin", "password"},
	{"OpenBMC", "root", "0penBmc"},
	{"Huawei iBMC", "Administrator", "Admin@9000"},
	{"Intel", "root", "superuser"},
	{"ASRock Rack", "admin", "admin"},
	{"Gigabyte", "admin", "password"},
	{"Inspur", "admin", "admin"},
	{"HPE iLO (older)", "admin", "admin"},
}

// isVendorDefault reports whether the credential is a known factory default,
// and which vendor's.
func isVendorDefault(c credential) (bool, string) {
	for _, d := range vendorDefaults {
		if c.User == d.User && c.Password == d.Password {
			return true, d.Vendor
		}
	}
	return false, ""
}

// breakerLimit is how many BMCs may reject one credential before csaudit stops
// using it (DESIGN.md "BMCs are not locked out").
const breakerLimit = 3

// breaker counts rejections per credential. It admits at most
// breakerLimit-rejected logins at once, so that logins in flight can never
// push the number of rejections past the limit.
type breaker struct {
	mu       sync.Mutex
	cond     *sync.Cond
	rejected map[string][]string // credential key -> hosts that rejected it
	inflight map[string]int
	user     map[string]string
}

func newBreaker() *breaker {
	b := &breaker{rejected: map[string][]string{}, inflight: map[string]int{}, user: map[string]string{}}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire waits for a login slot. It returns false when the breaker is open
// for this credential, and an error when ctx ends first.
func (b *breaker) acquire(ctx context.Context, c credential) (bool, error) {
	k := c.key()
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.cond.Broadcast()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.user[k] = c.User
	for {
		n := len(b.rejected[k])
		if n >= breakerLimit {
			return false, nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if b.inflight[k] < breakerLimit-n {
			b.inflight[k]++
			return true, nil
		}
		b.cond.Wait()
	}
}

// release ends a login; rejectedBy names the host when the BMC rejected the
// credential. It reports whether this rejection opened the breaker.
func (b *breaker) release(c credential, rejectedBy string) bool {
	k := c.key()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight[k]--
	opened := false
	if rejectedBy != "" {
		b.rejected[k] = append(b.rejected[k], rejectedBy)
		opened = len(b.rejected[k]) == breakerLimit
	}
	b.cond.Broadcast()
	return opened
}

func (b *breaker) rejections(c credential) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.rejected[c.key()]...)
}
