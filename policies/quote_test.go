package policies

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/fixtures/testbed"
)

// Values that break out of a badly quoted command, one per trick.
var nasty = []string{
	"", "plain", "-rf", "a b", "it's", `say "hi"`, `back\slash`, "$(touch /tmp/pwned)", "`id`", "${HOME}",
	"a;b", "a&&b", "a|b", "a\nb", "# comment", "x # y", "*", "~root", "'\\''", "tab\there", "日本語", "semi;--",
	"a\rb", "\x1a", "nul\x00byte",
}

// TestShellQuotingInRealShell: /bin/sh reads every quoted value back as
// exactly one word, unchanged (a NUL cannot be passed to a program at all).
func TestShellQuotingInRealShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range nasty {
		if strings.ContainsRune(v, 0) {
			continue
		}
		for _, tc := range []struct{ word, want string }{
			{shellWord(v), v},
			{"name=" + cmkValue(v), "name=" + v},
		} {
			out, err := exec.Command(sh, "-c", `printf '%s\0' `+tc.word).Output()
			if err != nil {
				t.Errorf("sh -c with %q: %v", tc.word, err)
				continue
			}
			if string(out) != tc.want+"\x00" {
				t.Errorf("%q reads back as %q, want the one word %q", tc.word, out, tc.want)
			}
		}
	}
}

// TestSQLQuotingInRealMariaDB feeds every literal through the mariadb client
// to a real server, as an operator would paste the advice: each reads back as
// the value, byte for byte.
func TestSQLQuotingInRealMariaDB(t *testing.T) {
	m, err := testbed.StartMariaDB(t.TempDir())
	if errors.Is(err, testbed.ErrMissing) {
		testbed.Missing(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	client, err := testbed.Need("mariadb-client", "mariadb", "mysql")
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	for _, v := range nasty {
		script.WriteString("SELECT HEX(" + sqlString(v) + ");\n")
	}
	cmd := exec.Command(client, "--no-defaults", "--socket="+m.Socket, "-uroot", "--batch", "--skip-column-names")
	cmd.Stdin = strings.NewReader(script.String())
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mariadb client: %v\n%s", err, stderr.String())
	}
	got := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(got) != len(nasty) {
		t.Fatalf("%d results for %d literals:\n%s", len(got), len(nasty), out.String())
	}
	for i, v := range nasty {
		if want := strings.ToUpper(hex.EncodeToString([]byte(v))); got[i] != want {
			t.Errorf("%s reads back as %s, want %s (%q)", sqlString(v), got[i], want, v)
		}
	}
}
