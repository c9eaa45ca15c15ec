package ipmi

import (
	"context"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Datagrams captured from OpenIPMI ipmi_sim 2.0 (see fixtures/testbed).
const (
	capPong = "0600ff06000011be405a0010000011be000000008100000000000000"
	// Get Channel Authentication Capabilities, v2.0 extended data requested.
	capHardened = "0600ff0700000000000000000010811c63204438000184040300000000d8"
	capInsecure = "0600ff0700000000000000000010811c63204438000185050300000000d6"
	// The same without the extended-data bit: no IPMI version byte.
	capV15 = "0600ff0700000000000000000010811c632044380001040400000000005b"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePong(t *testing.T) {
	if !parsePong(unhex(t, capPong), 0x5a) {
		t.Error("captured pong not recognised")
	}
	if parsePong(unhex(t, capPong), 0x5b) {
		t.Error("pong with another tag accepted")
	}
	if parsePong(unhex(t, capHardened), 0x5a) {
		t.Error("an IPMI message taken for a pong")
	}
}

func TestParseAuthCaps(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want capabilities
	}{
		{"hardened", capHardened, capabilities{AuthTypes: []string{"md5"}, NonNullUsers: true, IPMIv15: true, IPMIv20: true}},
		{"insecure", capInsecure, capabilities{AuthTypes: []string{"none", "md5"}, Anonymous: true, NonNullUsers: true, IPMIv15: true, IPMIv20: true}},
		{"v1.5 form", capV15, capabilities{AuthTypes: []string{"md5"}, NonNullUsers: true, IPMIv15: true}},
	}
	for _, tt := range tests {
		got, cc, err := parseAuthCaps(unhex(t, tt.in), 0x11)
		if err != nil || cc != 0 {
			t.Fatalf("%s: cc=%#x err=%v", tt.name, cc, err)
		}
		if d := cmp.Diff(*got, tt.want); d != "" {
			t.Errorf("%s (-got +want):\n%s", tt.name, d)
		}
	}
	if _, _, err := parseAuthCaps(unhex(t, capHardened), 0x12); err == nil {
		t.Error("a response to another sequence number was accepted")
	}
	if _, _, err := parseAuthCaps(unhex(t, capPong), 0x11); err == nil {
		t.Error("a pong was accepted as auth capabilities")
	}
	// Truncations never panic.
	b := unhex(t, capHardened)
	for i := range b {
		_, _, _ = parseAuthCaps(b[:i], 0x11)
	}
	// A completion code is returned, not capabilities.
	bad := unhex(t, capHardened)
	bad[20] = 0xcc
	if c, cc, err := parseAuthCaps(bad, 0x11); c != nil || cc != 0xcc || err != nil {
		t.Errorf("completion code: %v %#x %v", c, cc, err)
	}
}

func TestRequestPackets(t *testing.T) {
	if got := hex.EncodeToString(pingPacket(0x5a)); got != "0600ff06000011be805a0000" {
		t.Errorf("ping %s", got)
	}
	// Checksums: the two-complement sums of the header and body are zero.
	p := authCapsPacket(0x11, true)
	msg := p[14:]
	var a, b byte
	for _, x := range msg[:3] {
		a += x
	}
	for _, x := range msg[3:] {
		b += x
	}
	if a != 0 || b != 0 || int(p[13]) != len(msg) {
		t.Errorf("auth caps request % x", p)
	}
}

func TestBreakerNeverAdmitsMoreThanTheLimit(t *testing.T) {
	b := newBreaker()
	cr := credential{User: "admin", Password: "x"}
	var admitted, maxInflight, inflight atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := b.acquire(context.Background(), cr); !ok || err != nil {
				return
			}
			admitted.Add(1)
			n := inflight.Add(1)
			for {
				m := maxInflight.Load()
				if n <= m || maxInflight.CompareAndSwap(m, n) {
					break
				}
			}
			inflight.Add(-1)
			b.release(cr, "h")
		}()
	}
	wg.Wait()
	if admitted.Load() != breakerLimit || maxInflight.Load() > breakerLimit {
		t.Fatalf("admitted %d logins (max %d at once); want %d", admitted.Load(), maxInflight.Load(), breakerLimit)
	}
	// Another credential is unaffected.
	if ok, _ := b.acquire(context.Background(), credential{User: "admin", Password: "y"}); !ok {
		t.Error("the breaker is per credential")
	}
}

func TestBreakerWaitEndsWithTheContext(t *testing.T) {
	b := newBreaker()
	cr := credential{User: "admin", Password: "x"}
	for range breakerLimit {
		if ok, err := b.acquire(context.Background(), cr); !ok || err != nil {
			t.Fatal("a free slot was not granted")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	ok, err := b.acquire(ctx, cr)
	if ok || err == nil {
		t.Fatalf("a fourth login in flight was admitted: %v %v", ok, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waiting for a slot ignored the context for %s", d)
	}
}

func TestCredentialNeverFormatsThePassword(t *testing.T) {
	c := credential{User: "u", Password: "s3cret"}
	for _, s := range []string{c.String(), c.GoString()} {
		if s != "credential{u, [redacted]}" {
			t.Errorf("got %q", s)
		}
	}
}
