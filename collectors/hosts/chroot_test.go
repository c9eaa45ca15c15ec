package hosts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/csaudit/csaudit/fixtures/testbed"
)

// The real systemctl, run in a real chroot, refuses is-active with exit 0;
// the parser reads that as unknown-chroot, never as active. The chroot holds
// systemctl, sh and their libraries; a new PID namespace makes PID 1's root
// (the test's /) visible to systemctl's chroot test.
// CSAUDIT_CAPTURE=1 rewrites testdata/systemctl_is_active_chroot.txt.
func TestAgentInRealChroot(t *testing.T) {
	var tools []string
	for _, n := range [][2]string{{"systemd", "systemctl"}, {"util-linux", "unshare"}, {"coreutils", "chroot"}, {"libc-bin", "ldd"}} {
		p, err := testbed.Need(n[0], n[1])
		if err != nil {
			testbed.Missing(t, err)
		}
		tools = append(tools, p)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for chroot and namespaces")
	}
	systemctl, unshare, chroot, ldd := tools[0], tools[1], tools[2], tools[3]
	sh, _ := filepath.EvalSymlinks("/bin/sh")
	root := t.TempDir()
	libs, err := exec.Command(ldd, systemctl, sh).Output()
	if err != nil {
		t.Fatalf("ldd: %v", err)
	}
	files := []string{systemctl, sh}
	for _, m := range regexp.MustCompile(`(?m)(/\S+) \(0x`).FindAllSubmatch(libs, -1) {
		files = append(files, string(m[1]))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The agent section's own command, inside the chroot; not exec'd: as PID 1
	// systemctl would not look for a chroot.
	script := `mount -t proc proc "$1/proc" && "$2" "$1" "$3" is-active cloudstack-agent 2>&1`
	cmd := exec.Command(unshare, "-m", "-p", "-f", "--propagation", "private", "/bin/sh", "-c", script, "sh", root, chroot, systemctl)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	rc := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		rc = ee.ExitCode()
	}
	if rc != 0 {
		t.Errorf("systemctl in a chroot exited %d (%q); systemd answers 0 there", rc, out.String())
	}
	if os.Getenv("CSAUDIT_CAPTURE") != "" {
		if err := os.WriteFile(filepath.Join("testdata", "systemctl_is_active_chroot.txt"), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := parseAgent(out.Bytes(), rc); err != nil || st != StateUnknownChroot {
		t.Errorf("parseAgent(%q, %d) = %q, %v; want %q", out.String(), rc, st, err, StateUnknownChroot)
	}
}
