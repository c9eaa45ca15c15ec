package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGINT and SIGTERM end a run with 130 and 143 after it cleaned up: the
// database collector is stuck on a server that accepts and never answers, the
// signal cancels it, and nothing is left in --out.
func TestSignalsEndTheRun(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "csaudit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "c.yaml")
			os.WriteFile(cfg, []byte("database:\n  dsn: \"u@tcp("+ln.Addr().String()+")/cloud\"\n"), 0o600)
			out := filepath.Join(dir, "out")
			cmd := exec.Command(bin, "audit", "--config", cfg, "--format", "json", "--out", out)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)
			cmd.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != tc.want {
					t.Errorf("exit %v, want %d; stderr:\n%s", err, tc.want, stderr.String())
				}
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 15 s after %v", tc.sig)
			}
			if ents, _ := os.ReadDir(out); len(ents) > 0 {
				t.Errorf("--out holds %d entries after the signal", len(ents))
			}
		})
	}
}
