package hosts

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// TerminalProgress returns a Progress callback that redraws one status line
// on w (a terminal: the caller decides), at most every 100 ms and always for
// the last host. Non-terminals should get no callback at all (silent).
func TerminalProgress(w io.Writer) func(done, total, failed int) {
	var mu sync.Mutex
	var last time.Time
	return func(done, total, failed int) {
		mu.Lock()
		defer mu.Unlock()
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "\rhosts: %d/%d done, %d failed", done, total, failed)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}
