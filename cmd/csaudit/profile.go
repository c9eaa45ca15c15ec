package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"
)

// startProfile writes a CPU profile to $CSAUDIT_CPUPROFILE and a heap
// profile taken when the live heap was largest to $CSAUDIT_MEMPROFILE: for
// developers measuring a run (docs/performance.md), never set in use.
func startProfile() (stop func()) {
	var f *os.File
	if p := os.Getenv("CSAUDIT_CPUPROFILE"); p != "" {
		var err error
		if f, err = os.Create(p); err == nil {
			if err = pprof.StartCPUProfile(f); err != nil {
				f.Close()
				f = nil
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "csaudit: CSAUDIT_CPUPROFILE:", err)
		}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	mem := os.Getenv("CSAUDIT_MEMPROFILE")
	go func() {
		defer close(finished)
		if mem == "" {
			return
		}
		var peak uint64
		var best, stacks bytes.Buffer
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		var timeline bytes.Buffer
		start := time.Now()
		last := ""
		for {
			select {
			case <-done:
				os.WriteFile(mem, best.Bytes(), 0o644)
				os.WriteFile(mem+".goroutines", stacks.Bytes(), 0o644)
				os.WriteFile(mem+".timeline", timeline.Bytes(), 0o644)
				return
			case <-t.C:
				metrics.Read(s)
				var g bytes.Buffer
				pprof.Lookup("goroutine").WriteTo(&g, 1)
				frame := ""
				for _, l := range strings.Split(g.String(), "\n") {
					if strings.Contains(l, "csaudit/pipeline.") || strings.Contains(l, "csaudit/report") || strings.Contains(l, "csaudit/collectors") || strings.Contains(l, "csaudit/policies") {
						f := strings.Fields(l)
						if len(f) > 2 {
							frame = f[2]
						}
						break
					}
				}
				if line := fmt.Sprintf("%d %d %s", s[0].Value.Uint64()>>20, s[1].Value.Uint64()>>20, frame); line != last {
					fmt.Fprintf(&timeline, "%6.2f %s\n", time.Since(start).Seconds(), line)
					last = line
				}
				if h := s[0].Value.Uint64(); h > peak+peak/20 {
					peak = h
					best.Reset()
					pprof.Lookup("heap").WriteTo(&best, 0)
					stacks.Reset()
					fmt.Fprintf(&stacks, "live heap %d MiB\n", h>>20)
					pprof.Lookup("goroutine").WriteTo(&stacks, 1)
				}
			}
		}
	}()
	return func() {
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
		close(done)
		<-finished
	}
}
