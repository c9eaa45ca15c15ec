package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/pipeline/seal"
	"github.com/csaudit/csaudit/report"
)

// csauditAt runs the command with the clock at now.
func csauditAt(t *testing.T, now time.Time, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{now: func() time.Time { return now }, version: "test", stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	err := a.run(context.Background(), args)
	return result{out.String(), errb.String(), err}
}

// signingKey writes an OpenSSH private key (encrypted when passphrase is not
// "") and returns its path and an allowed-signers line for principal.
func signingKey(t *testing.T, kind, passphrase, principal string) (string, string) {
	t.Helper()
	var priv any
	switch kind {
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv = k
	case "ecdsa":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv = k
	}
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, principal)
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, principal, []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("%s namespaces=\"csaudit\" %s", principal, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))))
	return path, line
}

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// signedRun audits the lab (with one waiver) into a new directory, signed.
func signedRun(t *testing.T, key string) string {
	t.Helper()
	waivers := writeFile(t, filepath.Join(t.TempDir(), "waivers.yaml"),
		"waivers:\n  - {check: CSA-DRIFT-002, resource: i-4-56-VM, justification: lab, approver: ops@example.org, expires: 2027-06-30}\n")
	dir := filepath.Join(t.TempDir(), "run")
	if r := csaudit(t, "audit", "--lab", "--format", "table,html", "--out", dir, "--sign", key, "--waivers", waivers); r.err != nil {
		t.Fatalf("signed audit: %v\n%s", r.err, r.stderr)
	}
	return dir
}

func TestSignedRunVerifies(t *testing.T) {
	key, line := signingKey(t, "ed25519", "", "auditor")
	allowed := writeFile(t, filepath.Join(t.TempDir(), "allowed_signers"), line+"\n")
	dir := signedRun(t, key)
	for _, name := range []string{seal.ManifestFile, seal.SignatureFile, seal.WaiversFile, pipeline.ReportFile, "csaudit-report.html", pipeline.SnapshotFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("signed run: %v", err)
		}
	}
	r := csaudit(t, "verify", dir, "--allowed-signers", allowed, "--identity", "auditor")
	if r.err != nil || !strings.Contains(r.stdout, "verified:") || !strings.Contains(r.stdout, "[auditor]") {
		t.Fatalf("verify: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	// The waived finding was re-derived as waived, from the copied waiver file.
	rep, err := report.LoadJSON(filepath.Join(dir, pipeline.ReportFile))
	if err != nil || rep.Summary.Waived != 1 {
		t.Fatalf("report: %v, %d waived, want 1", err, rep.Summary.Waived)
	}
	// Copied elsewhere, it still verifies; without an allowed-signers file
	// it says whose key it cannot tell.
	moved := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(moved, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	r = csaudit(t, "verify", moved)
	if r.err != nil || !strings.Contains(r.stdout, "without --allowed-signers nothing says whose key") {
		t.Fatalf("verify copy: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(key); strings.Contains(r.stdout+r.stderr, strings.Split(string(b), "\n")[1]) {
		t.Error("the private key appears in the output")
	}
	sshKeygenVerify(t, dir, allowed, "auditor")
}

// sshKeygenVerify checks the signature with OpenSSH itself.
func sshKeygenVerify(t *testing.T, dir, allowed, identity string) {
	t.Helper()
	bin, err := exec.LookPath("ssh-keygen")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh-keygen not installed (openssh-client) and CI=true")
		}
		t.Skip("ssh-keygen not installed")
	}
	m, err := os.Open(filepath.Join(dir, seal.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cmd := exec.Command(bin, "-Y", "verify", "-f", allowed, "-I", identity, "-n", "csaudit", "-s", filepath.Join(dir, seal.SignatureFile))
	cmd.Stdin = m
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `Good "csaudit" signature for `+identity) {
		t.Fatalf("ssh-keygen -Y verify: %v\n%s", err, out)
	}
}

// An encrypted ECDSA key takes its passphrase from the environment; a wrong
// one, a missing one, or a run without --out stop before anything is written.
func TestSignWithEncryptedECDSAKey(t *testing.T) {
	key, line := signingKey(t, "ecdsa", "correct horse", "ops")
	allowed := writeFile(t, filepath.Join(t.TempDir(), "allowed_signers"), line+"\n")
	dir := filepath.Join(t.TempDir(), "run")
	t.Setenv("CSAUDIT_SIGN_PASSPHRASE", "wrong battery")
	r := csaudit(t, "audit", "--lab", "--out", dir, "--sign", key)
	if r.code() != 2 || !strings.Contains(r.err.Error(), "wrong passphrase") || strings.Contains(r.err.Error(), "battery") {
		t.Fatalf("wrong passphrase: code %d, %v", r.code(), r.err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused signing wrote %s", dir)
	}
	os.Unsetenv("CSAUDIT_SIGN_PASSPHRASE")
	if r := csaudit(t, "audit", "--lab", "--out", dir, "--sign", key); r.code() != 2 || !strings.Contains(r.err.Error(), "CSAUDIT_SIGN_PASSPHRASE") {
		t.Fatalf("no passphrase: code %d, %v", r.code(), r.err)
	}
	if r := csaudit(t, "audit", "--lab", "--sign", key); r.code() != 2 || !strings.Contains(r.err.Error(), "--out") {
		t.Fatalf("no --out: code %d, %v", r.code(), r.err)
	}
	t.Setenv("CSAUDIT_SIGN_PASSPHRASE", "correct horse")
	if r := csaudit(t, "audit", "--lab", "--out", dir, "--sign", key); r.err != nil {
		t.Fatal(r.err)
	}
	if r := csaudit(t, "verify", dir, "--allowed-signers", allowed, "--identity", "ops"); r.err != nil {
		t.Fatalf("verify: %v\n%s", r.err, r.stdout)
	}
	sshKeygenVerify(t, dir, allowed, "ops")
}

// Every single edit to a signed run fails verify, and the message names the
// file or finding.
func TestVerifyDetectsEdits(t *testing.T) {
	key, line := signingKey(t, "ed25519", "", "auditor")
	allowed := writeFile(t, filepath.Join(t.TempDir(), "allowed_signers"), line+"\n")
	orig := signedRun(t, key)
	fresh := func(t *testing.T) string {
		d := filepath.Join(t.TempDir(), "run")
		if err := os.CopyFS(d, os.DirFS(orig)); err != nil {
			t.Fatal(err)
		}
		return d
	}
	mismatch := func(t *testing.T, dir string, want string, extra ...string) {
		t.Helper()
		r := csaudit(t, append([]string{"verify", dir, "--allowed-signers", allowed}, extra...)...)
		if r.code() != 1 || !strings.Contains(r.stdout, "MISMATCH") || !strings.Contains(r.stdout, want) {
			t.Errorf("verify after the edit: code %d, want 1 naming %q\n%s%s", r.code(), want, r.stdout, r.stderr)
		}
	}
	entries, err := os.ReadDir(orig)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run("flip a byte in "+e.Name(), func(t *testing.T) {
			d := fresh(t)
			p := filepath.Join(d, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0x01
			writeFile(t, p, string(b))
			want := e.Name()
			if e.Name() == seal.ManifestFile {
				want = "does not match " + seal.ManifestFile
			}
			mismatch(t, d, want)
		})
	}
	t.Run("a severity edited and the run re-signed", func(t *testing.T) {
		// A key holder who edits the report and signs again is caught by
		// re-deriving the findings from the snapshot.
		d := fresh(t)
		rp := filepath.Join(d, pipeline.ReportFile)
		var doc map[string]any
		b, _ := os.ReadFile(rp)
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		f := doc["findings"].([]any)[0].(map[string]any)
		id := f["id"].(string)
		f["severity"] = "low"
		b, _ = json.MarshalIndent(doc, "", "  ")
		writeFile(t, rp, string(b))
		reseal(t, d, key)
		mismatch(t, d, "finding "+id)
	})
	t.Run("the snapshot swapped", func(t *testing.T) {
		d := fresh(t)
		other := filepath.Join(t.TempDir(), "other")
		if r := csaudit(t, "audit", "--snapshot", criticalSnapshot(t), "--out", other); r.err != nil && r.code() != 1 {
			t.Fatal(r.err)
		}
		b, err := os.ReadFile(filepath.Join(other, pipeline.SnapshotFile))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d, pipeline.SnapshotFile), string(b))
		mismatch(t, d, pipeline.SnapshotFile+": snapshot digest")
	})
	t.Run("a policy file added to the directory", func(t *testing.T) {
		d := fresh(t)
		writeFile(t, filepath.Join(d, "extra.rego"), "package csaudit.custom.extra\n")
		mismatch(t, d, "extra.rego: in the directory but not in the manifest")
	})
	t.Run("a policy file added to the bundle", func(t *testing.T) {
		pd := t.TempDir()
		writeFile(t, filepath.Join(pd, "note.rego"), customCheck)
		mismatch(t, fresh(t), "policy-dir/note.rego (added)", "--policy-dir", pd)
	})
	t.Run("signed with a key not in allowed-signers", func(t *testing.T) {
		other, _ := signingKey(t, "ed25519", "", "mallory")
		d := filepath.Join(t.TempDir(), "run")
		if r := csaudit(t, "audit", "--lab", "--out", d, "--sign", other); r.err != nil {
			t.Fatal(r.err)
		}
		mismatch(t, d, "which the allowed-signers file does not list")
	})
	t.Run("a FIFO in place of the report", func(t *testing.T) {
		// Refused, not waited on.
		d := fresh(t)
		p := filepath.Join(d, pipeline.ReportFile)
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skip(err)
		}
		mismatch(t, d, pipeline.ReportFile+": listed in the manifest but unreadable")
	})
	t.Run("another identity", func(t *testing.T) {
		mismatch(t, fresh(t), `does not list for identity "someone-else"`, "--identity", "someone-else")
	})
	if r := csaudit(t, "verify", t.TempDir()); r.code() != 2 || !strings.Contains(r.err.Error(), "not a signed run") {
		t.Errorf("an unsigned directory: code %d, %v", r.code(), r.err)
	}
}

const customCheck = `# METADATA
# title: Custom note
# description: d
# custom:
#   id: CSA-SITE-001
#   severity: info
#   category: site
#   remediation: none
#   references: [site]
#   controls: []
#   requires: [settings]
package csaudit.custom.site.note

deny contains {"resource": {"type": "cloud", "name": "lab"}, "message": "site check ran"}
`

// A run with a config's custom policy directory and thresholds verifies only
// when verify is given the same directory; the thresholds come from the
// report (with the default java_heap_min_mb, CSA-LOCAL-004 would be
// re-derived and verify would fail).
func TestVerifyCustomPolicies(t *testing.T) {
	key, _ := signingKey(t, "ed25519", "", "auditor")
	cdir := t.TempDir()
	pd := filepath.Join(cdir, "rego")
	if err := os.Mkdir(pd, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(pd, "note.rego"), customCheck)
	cfg := writeFile(t, filepath.Join(cdir, "config.yaml"), "policies:\n  dirs: [rego]\n  params:\n    java_heap_min_mb: 512\n")
	d := filepath.Join(t.TempDir(), "run")
	if r := csaudit(t, "audit", "--lab", "--config", cfg, "--out", d, "--sign", key); r.err != nil {
		t.Fatal(r.err)
	}
	rep, err := report.LoadJSON(filepath.Join(d, pipeline.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.CheckID == "CSA-LOCAL-004" {
			t.Fatal("the config's java_heap_min_mb did not apply")
		}
	}
	if r := csaudit(t, "verify", d); r.code() != 1 || !strings.Contains(r.stdout, "policy-dir/note.rego (missing)") {
		t.Errorf("without --policy-dir: code %d\n%s", r.code(), r.stdout)
	}
	if r := csaudit(t, "verify", d, "--policy-dir", pd); r.err != nil {
		t.Errorf("with --policy-dir: %v\n%s", r.err, r.stdout)
	}
}

// reseal recomputes the manifest's digests and signs it again with key.
func reseal(t *testing.T, dir, key string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, seal.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := seal.DecodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Files {
		c, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		m.Files[i].SHA256 = seal.Sum(c)
	}
	mb, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	s, err := seal.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := seal.Sign(mb, s)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, seal.ManifestFile), string(mb))
	writeFile(t, filepath.Join(dir, seal.SignatureFile), string(sig))
}

// labWith writes the lab snapshot after edit to a file.
func labWith(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	var snap map[string]any
	if err := json.Unmarshal(fixtures.Lab(), &snap); err != nil {
		t.Fatal(err)
	}
	edit(snap)
	b, _ := json.Marshal(snap)
	return writeFile(t, filepath.Join(t.TempDir(), "snap.json"), string(b))
}

// Three scheduled runs: the lab, then the lab with the small Java heap fixed
// and the log disk nearly full, then the lab again.
func TestHistoryThreeRuns(t *testing.T) {
	a := labWith(t, func(map[string]any) {})
	b := labWith(t, func(s map[string]any) {
		l := s["local"].(map[string]any)
		l["java_heap"].(map[string]any)["max_mb"] = 8192
		l["log_disk"].(map[string]any)["free_pct"] = 2
	})
	hist := filepath.Join(t.TempDir(), "history")
	t0 := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	times := []time.Time{t0, t0.Add(10 * 24 * time.Hour), t0.Add(14 * 24 * time.Hour)}
	var reps []*report.Report
	var tables []string
	var out string
	for i, snap := range []string{a, b, a} {
		out = filepath.Join(t.TempDir(), fmt.Sprint(i))
		r := csauditAt(t, times[i], "audit", "--snapshot", snap, "--format", "table,json,html,pdf", "--out", out, "--history", hist)
		if r.err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, r.err, r.stderr)
		}
		rep, err := report.LoadJSON(filepath.Join(out, pipeline.ReportFile))
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
		tables = append(tables, r.stdout)
	}
	ids := func(r *report.Report) map[string]report.Finding {
		m := map[string]report.Finding{}
		for _, f := range r.Findings {
			m[f.ID] = f
		}
		return m
	}
	ra, rb := ids(reps[0]), ids(reps[1])
	var onlyA, onlyB, both []string
	for id := range ra {
		if _, ok := rb[id]; ok {
			both = append(both, id)
		} else {
			onlyA = append(onlyA, id)
		}
	}
	for id := range rb {
		if _, ok := ra[id]; !ok {
			onlyB = append(onlyB, id)
		}
	}
	if len(onlyA) != 1 || ra[onlyA[0]].CheckID != "CSA-LOCAL-004" || len(onlyB) == 0 || len(both) == 0 {
		t.Fatalf("fixture: only in the lab %v, only in the edited lab %v", onlyA, onlyB)
	}
	want := []report.HistoryCounts{
		{Runs: 0, New: len(ra)},
		{Runs: 1, New: len(onlyB), Persisting: len(both), Resolved: 1, PreviousRun: &times[0]},
		{Runs: 2, New: 1, Persisting: len(both), Resolved: len(onlyB), PreviousRun: &times[1]},
	}
	for i, rep := range reps {
		got := rep.Summary.History
		if got == nil || got.Runs != want[i].Runs || got.New != want[i].New || got.Persisting != want[i].Persisting || got.Resolved != want[i].Resolved {
			t.Errorf("run %d: history %+v, want %+v", i+1, got, want[i])
		}
	}
	last := ids(reps[2])
	for _, id := range both {
		if fs := last[id].FirstSeen; fs == nil || !fs.Equal(t0) {
			t.Errorf("persisting finding %s: first_seen %v, want %v", id, fs, t0)
		}
	}
	// Resolved in run 2 and back in run 3: new again, not 14 days old.
	if fs := last[onlyA[0]].FirstSeen; fs == nil || !fs.Equal(times[2]) {
		t.Errorf("returning finding: first_seen %v, want %v", fs, times[2])
	}
	if !strings.Contains(tables[2], "open 14 days") || !strings.Contains(tables[2], "1 new") {
		t.Errorf("run 3 table shows no age or history line:\n%s", tables[2])
	}
	html, err := os.ReadFile(filepath.Join(out, "csaudit-report.html"))
	if err != nil || !bytes.Contains(html, []byte("<small>open 14 days</small>")) || !bytes.Contains(html, []byte("1 new, ")) {
		t.Errorf("run 3 HTML shows no age or history line (%v)", err)
	}
	if pdftotext, err := testbed.Need("poppler-utils", "pdftotext"); err != nil {
		testbed.Missing(t, err)
	} else {
		txt, err := exec.Command(pdftotext, "-enc", "UTF-8", filepath.Join(out, "csaudit-report.pdf"), "-").Output()
		if flat := strings.Join(strings.Fields(string(txt)), ""); err != nil || !strings.Contains(flat, "open14days(firstseen2026-11-0106:00UTC)") {
			t.Errorf("run 3 PDF shows no age (%v)", err)
		}
	}

	r := csauditAt(t, times[2], "history", hist)
	if r.err != nil {
		t.Fatal(r.err)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[1], "2026-11-01T06:00:00Z") {
		t.Fatalf("history:\n%s", r.stdout)
	}
	// CSA-LOCAL-004 took ten days to resolve (run 1 to run 2), CSA-LOCAL-003
	// four (run 2 to run 3): two resolved, seven days on average.
	if !strings.Contains(r.stdout, "\nCSA-LOCAL  2         7.0 days\n") {
		t.Errorf("history lacks the mean time to resolve:\n%s", r.stdout)
	}
	r = csauditAt(t, times[2], "history", hist, "--format", "prom")
	oldest := fmt.Sprintf("%d", int64(14*24*time.Hour/time.Second))
	if r.err != nil || !strings.Contains(r.stdout, "csaudit_oldest_open_finding_age_seconds{severity=") || !strings.Contains(r.stdout, "} "+oldest+"\n") {
		t.Errorf("history prom: %v\n%s", r.err, r.stdout)
	}
}

// explain shows the check, the evidence and the snapshot values behind a
// finding, with their collector and collection time.
func TestExplain(t *testing.T) {
	out := t.TempDir()
	if r := csaudit(t, "audit", "--lab", "--format", "json", "--out", out); r.err != nil {
		t.Fatal(r.err)
	}
	rep, err := report.LoadJSON(filepath.Join(out, pipeline.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	var heap report.Finding
	for _, f := range rep.Findings {
		if f.CheckID == "CSA-LOCAL-004" {
			heap = f
		}
	}
	if heap.ID == "" {
		t.Fatal("the lab has no CSA-LOCAL-004 finding")
	}
	r := csaudit(t, "explain", heap.ID[:8], "--report", filepath.Join(out, pipeline.ReportFile))
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, want := range []string{"Finding " + heap.ID, "CSA-LOCAL-004", "Evidence", "local.java_heap  [collector local, collected 2026-11-20T", `"max_mb":1024`, "Remediation:", "Fix:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, r.stdout)
		}
	}
	r = csaudit(t, "explain", heap.ID, "--snapshot", filepath.Join(out, pipeline.SnapshotFile))
	if r.err != nil || !strings.Contains(r.stdout, "local.java_heap") {
		t.Errorf("explain --snapshot: %v\n%s", r.err, r.stdout)
	}
	// A stuck VM: explain says what fix plan offers, from the same planner.
	for _, f := range rep.Findings {
		if f.CheckID != "CSA-STUCK-001" {
			continue
		}
		r := csaudit(t, "explain", f.ID, "--report", filepath.Join(out, pipeline.ReportFile))
		if r.err != nil || !strings.Contains(r.stdout, "What csaudit fix plan offers:") || !strings.Contains(r.stdout, "1. Diagnose:") && !strings.Contains(r.stdout, "re-checked at apply") {
			t.Errorf("explain %s (CSA-STUCK-001) lacks the fix plan's offer: %v\n%s", f.ID, r.err, r.stdout)
		}
		break
	}
	if r := csaudit(t, "explain", "ffffffffffffffff", "--report", filepath.Join(out, pipeline.ReportFile)); r.code() != 2 || !strings.Contains(r.err.Error(), "no finding") {
		t.Errorf("unknown id: code %d, %v", r.code(), r.err)
	}
	if r := csaudit(t, "explain", heap.ID); r.code() != 2 {
		t.Errorf("neither --report nor --snapshot: code %d", r.code())
	}
}

// verify re-derives on the report's clock: a waiver that has expired since
// the run still covers its finding as it did then.
func TestVerifyOnTheReportsClock(t *testing.T) {
	key, _ := signingKey(t, "ed25519", "", "auditor")
	waivers := writeFile(t, filepath.Join(t.TempDir(), "waivers.yaml"),
		"waivers:\n  - {check: CSA-DRIFT-002, resource: i-4-56-VM, justification: lab, approver: ops@example.org, expires: 2026-11-21}\n")
	d := filepath.Join(t.TempDir(), "run")
	if r := csaudit(t, "audit", "--lab", "--out", d, "--sign", key, "--waivers", waivers); r.err != nil {
		t.Fatal(r.err)
	}
	later := fixedNow.Add(30 * 24 * time.Hour)
	if r := csauditAt(t, later, "audit", "--lab", "--waivers", waivers, "--format", "json"); r.err != nil || !strings.Contains(r.stdout, `"expired": [`+"\n"+`      {`) {
		t.Fatalf("the waiver has not expired a month later: %v", r.err)
	}
	if r := csauditAt(t, later, "verify", d); r.err != nil {
		t.Errorf("verify a month later: %v\n%s", r.err, r.stdout)
	}
}

// A run with replacement advisory data verifies only with the same data:
// the bundle digests it under one name wherever the file lived.
func TestVerifyAdvisories(t *testing.T) {
	key, _ := signingKey(t, "ed25519", "", "auditor")
	b, err := os.ReadFile("../../policies/advisory/advisories.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	adv := writeFile(t, filepath.Join(t.TempDir(), "advisories.tsv"), strings.Join(lines[:len(lines)-1], "\n")+"\n")
	d := filepath.Join(t.TempDir(), "run")
	if r := csaudit(t, "audit", "--lab", "--out", d, "--sign", key, "--advisories", adv); r.err != nil {
		t.Fatal(r.err)
	}
	if r := csaudit(t, "verify", d); r.code() != 1 || !strings.Contains(r.stdout, "advisories/advisories.tsv (changed)") {
		t.Errorf("without --advisories: code %d\n%s", r.code(), r.stdout)
	}
	moved := writeFile(t, filepath.Join(t.TempDir(), "elsewhere.tsv"), strings.Join(lines[:len(lines)-1], "\n")+"\n")
	if r := csaudit(t, "verify", d, "--advisories", moved); r.err != nil {
		t.Errorf("with --advisories: %v\n%s", r.err, r.stdout)
	}
}
