package pipeline

import (
	"strings"
	"testing"
)

// A hostile file name in a run directory reaches the terminal without its
// control characters.
func TestVerifyTextIsInert(t *testing.T) {
	v := &Verification{Problems: []string{"evil\x1b]0;owned\x07\u202e.json: in the directory but not in the manifest"}}
	var b strings.Builder
	if err := v.WriteText(&b, "d"); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07\u202e") {
		t.Errorf("control characters printed: %q", b.String())
	}
}
