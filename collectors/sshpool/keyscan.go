package sshpool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/csaudit/csaudit/collectors"
)

// keyscanAlgos are asked for one at a time: a handshake yields one host key.
var keyscanAlgos = []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoRSASHA512}

var errGotKey = errors.New("key recorded")

// Keyscan collects the host keys of the targets as known_hosts lines for
// out-of-band review (`csaudit ssh keyscan`). It trusts nothing and
// authenticates nowhere: each handshake stops at the host key. Lines are
// sorted; errors name the host.
func Keyscan(ctx context.Context, cfg *collectors.Config, targets []collectors.Target) ([]string, []collectors.CollectorError) {
	s := (&collectors.SSHConfig{}).WithDefaults()
	if cfg != nil && cfg.SSH != nil {
		s = cfg.SSH.WithDefaults()
	}
	p := &Pool{ConnectTimeout: time.Duration(s.ConnectTimeout), Concurrency: s.Concurrency, cfg: s}
	var d net.Dialer
	var mu sync.Mutex
	var lines []string
	var errs []collectors.CollectorError
	sem := make(chan struct{}, p.Concurrency)
	var wg sync.WaitGroup
	for _, t := range targets {
		if !t.IsKVM() {
			continue
		}
		addr := p.Address(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var got []string
			var lastErr error
			for _, algo := range keyscanAlgos {
				var key ssh.PublicKey
				cc := &ssh.ClientConfig{User: "keyscan", HostKeyAlgorithms: []string{algo}, Timeout: p.ConnectTimeout,
					HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { key = k; return errGotKey }}
				cctx, cancel := context.WithTimeout(ctx, p.ConnectTimeout)
				raw, err := d.DialContext(cctx, "tcp", addr)
				if err != nil {
					cancel()
					lastErr = trimOp(err)
					break // unreachable: no point asking for other types
				}
				_ = raw.SetDeadline(time.Now().Add(p.ConnectTimeout))
				_, _, _, err = ssh.NewClientConn(raw, addr, cc)
				raw.Close()
				cancel()
				if key != nil {
					got = append(got, knownhosts.Line([]string{addr}, key))
				} else if err != nil {
					lastErr = err
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) == 0 {
				errs = append(errs, collectors.CollectorError{Collector: collectors.NameHosts, Target: t.Label(),
					Error: fmt.Sprintf("keyscan %s: %v", addr, lastErr)})
				return
			}
			lines = append(lines, got...)
		}()
	}
	wg.Wait()
	sort.Strings(lines)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Target < errs[j].Target })
	return lines, errs
}

// KeyscanText renders Keyscan's lines as a known_hosts file.
func KeyscanText(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
