package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files and generated schemas")

// fixedNow is the golden tests' clock.
var fixedNow = time.Date(2026, 11, 20, 12, 5, 0, 0, time.UTC)

type result struct {
	stdout, stderr string
	err            error
}

func (r result) code() int {
	if r.err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(r.err, &ee) {
		return ee.Code
	}
	return -1
}

func csaudit(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{now: func() time.Time { return fixedNow }, version: "test", stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	err := a.run(context.Background(), args)
	return result{out.String(), errb.String(), err}
}

func TestAuditLabGolden(t *testing.T) {
	out := t.TempDir()
	r := csaudit(t, "audit", "--lab", "--format", "table,json", "--out", out)
	if r.err != nil {
		t.Fatalf("audit --lab: %v\n%s", r.err, r.stderr)
	}
	reporttest.Golden(t, "audit-lab.table", []byte(r.stdout))
	js, err := os.ReadFile(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "audit-lab.json", js)
	validate(t, "../../docs/schema/report.schema.json", js)

	// The report carries the digest of the snapshot written beside it.
	_, snap, err := collectors.LoadSnapshot(filepath.Join(out, pipeline.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	if got := collectors.SHA256(snap); got != rep.Snapshot.SHA256 {
		t.Errorf("report snapshot.sha256 %s, file digest %s", rep.Snapshot.SHA256, got)
	}
	validate(t, "../../docs/schema/snapshot.schema.json", snap)

	// Every problem planted in the lab (fixtures/labgen, fixtures/labsim) is
	// found on its resource with the rubric's severity.
	want := []struct {
		check, resource string
		severity        report.Severity
	}{
		{"CSA-DRIFT-002", "i-4-56-VM", report.Critical}, // running on two hosts
		{"CSA-DRIFT-002", "i-4-54-VM", report.Medium},   // moved behind CloudStack's back
		{"CSA-DRIFT-002", "i-4-62-VM", report.Medium},   // Running in the database, not in libvirt
		{"CSA-HOST-005", "kvm-c02-h0008", report.Critical},
		{"CSA-HOST-006", "kvm-c02-h0008", report.High},
		{"CSA-HOST-003", "kvm-c02-h0008", report.High},
		{"CSA-OOBM-003", "kvm-c02-h0008", report.Critical},
		{"CSA-HOST-002", "узел-kvm-0007", report.Medium},
		{"CSA-HOST-006", "узел-kvm-0007", report.Low},
		{"CSA-OOBM-001", "узел-kvm-0007", report.High},
		{"CSA-OOBM-008", "узел-kvm-0007", report.High},
		{"CSA-STUCK-005", "узел-kvm-0007", report.Medium},
		{"CSA-HOST-004", "kvm-c02-h0005", report.Medium},
		{"CSA-HA-006", "kvm-c02-h0005", report.High},
		{"CSA-VER-004", "kvm-c02", report.Low},
		{"CSA-HOST-007", "kvm-c01-h0010", report.Medium},
		{"CSA-HOST-010", "kvm-c01-h0010", report.Medium},
		{"CSA-HOST-009", "kvm-c02-h0011", report.Medium},
		{"CSA-HOST-011", "kvm-c02-h0011", report.Low},
		{"CSA-OOBM-002", "kvm-c02-h0011", report.Medium},
		{"CSA-OOBM-004", "kvm-c01-h0004", report.Medium},
		{"CSA-HOST-008", "kvm-c01", report.Medium},
		{"CSA-HOST-001", "xen-c03-h0003", report.High},
		{"CSA-HOST-001", "kvm-c02-h0002", report.Medium},
		{"CSA-OOBM-009", "xen-c03-h0009", report.Low}, // VM-HA does not fence through the BMC (#13)
		{"CSA-MS-003", "xen-c03-h0012", report.Medium},
		{"CSA-STUCK-001", "i-3-15-VM", report.Medium},
		{"CSA-HA-001", "i-3-17-VM", report.Medium},
		{"CSA-JOB-001", "StopVMCmd", report.Medium},
		{"CSA-SET-001", "integration.api.port", report.High},
		{"CSA-SET-002", "xen-c03", report.Medium},
		{"CSA-VER-005", "systemvm-xenserver-4.22.0-x86_64", report.High},
		{"CSA-VER-006", "r-3-VM", report.Medium},
		{"CSA-VER-006", "r-4-VM", report.Medium},
		{"CSA-VR-002", "r-3-VM", report.Medium},
		{"CSA-LOCAL-001", "ms-1", report.Medium},
		{"CSA-LOCAL-004", "ms-1", report.Low},
		{"CSA-DB-001", "db-lab:3306/cloud", report.Medium},
		{"CSA-STOR-006", "kvm-c01-h0010", report.High},              // its cluster's NFS pool not connected
		{"CSA-SYSVM-006", "consoleproxy.sslEnabled", report.Medium}, // CloudStack's default: TLS off
	}
	found := map[string]report.Severity{}
	for _, f := range rep.Findings {
		found[f.CheckID+"|"+f.Resource.Name] = f.Severity
		// The finished expunge and the reference host stay quiet.
		if f.Resource.Name == "i-4-16-VM" || f.Resource.Name == "kvm-c01-h0001" {
			t.Errorf("%s got finding %s: %s", f.Resource.Name, f.CheckID, f.Message)
		}
	}
	for _, w := range want {
		if sev, ok := found[w.check+"|"+w.resource]; !ok {
			t.Errorf("no %s finding on %s", w.check, w.resource)
		} else if sev != w.severity {
			t.Errorf("%s on %s is %s, want %s", w.check, w.resource, sev, w.severity)
		}
	}
	if len(rep.Checks) < 10 {
		t.Errorf("%d checks, want at least 10", len(rep.Checks))
	}
	for _, c := range rep.Checks {
		if c.Status == report.Error || c.Status == report.Skipped {
			t.Errorf("%s is %s in the lab: %s", c.ID, c.Status, c.StatusReason)
		}
	}
}

func validate(t *testing.T, schemaPath string, doc []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("schema %s: %v", schemaPath, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("document does not match %s: %v", schemaPath, err)
	}
}

// criticalSnapshot is the lab with the integration API listening publicly.
func criticalSnapshot(t *testing.T) string {
	t.Helper()
	var snap map[string]any
	if err := json.Unmarshal(fixtures.Lab(), &snap); err != nil {
		t.Fatal(err)
	}
	l := snap["local"].(map[string]any)["listeners"].(map[string]any)
	l["listeners"] = append(l["listeners"].([]any), map[string]any{"address": "0.0.0.0", "port": 8096})
	b, _ := json.Marshal(snap)
	p := filepath.Join(t.TempDir(), "critical.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFailOn(t *testing.T) {
	crit := criticalSnapshot(t)
	// The lab's critical findings, waived: what is left tops out at high.
	waivers := filepath.Join(t.TempDir(), "waivers.yaml")
	var w strings.Builder
	w.WriteString("waivers:\n")
	// CSA-ADV-001 on the cloud: a critical CVE affects the lab's 4.22.0.0.
	for _, c := range [][2]string{{"CSA-DRIFT-002", "i-4-56-VM"}, {"CSA-HOST-005", "kvm-c02-h0008"}, {"CSA-OOBM-003", "kvm-c02-h0008"}, {"CSA-ADV-001", "cloud"}} {
		fmt.Fprintf(&w, "  - {check: %s, resource: %s, justification: lab, approver: ops@example.org, expires: 2027-06-30}\n", c[0], c[1])
	}
	if err := os.WriteFile(waivers, []byte(w.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"audit", "--lab", "--fail-on", "critical"}, 1},
		{[]string{"audit", "--lab", "--waivers", waivers, "--fail-on", "critical"}, 0},
		{[]string{"audit", "--lab", "--waivers", waivers, "--fail-on", "high"}, 1},
		{[]string{"audit", "--lab"}, 0},
		{[]string{"audit", "--snapshot", crit, "--waivers", waivers, "--fail-on", "critical"}, 1},
		{[]string{"audit", "--lab", "--fail-on", "severe"}, 2},
	} {
		r := csaudit(t, tc.args...)
		if r.code() != tc.want {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, r.code(), r.err, tc.want)
		}
	}
}

func TestFailOnError(t *testing.T) {
	var snap map[string]any
	if err := json.Unmarshal(fixtures.Lab(), &snap); err != nil {
		t.Fatal(err)
	}
	// async_job neither collected nor present: CSA-JOB-001 found nothing
	// and cannot say so, so it is in error.
	delete(snap["coverage"].(map[string]any), "db.async_job")
	delete(snap["db"].(map[string]any), "async_job")
	b, _ := json.Marshal(snap)
	p := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := csaudit(t, "audit", "--snapshot", p); r.code() != 0 {
		t.Fatalf("without --fail-on-error: exit %d", r.code())
	}
	out := t.TempDir()
	r := csaudit(t, "audit", "--snapshot", p, "--fail-on-error", "--format", "table,json", "--out", out)
	if r.code() != 1 {
		t.Fatalf("with --fail-on-error: exit %d, want 1", r.code())
	}
	_, errorsSection, _ := strings.Cut(r.stdout, "did not evaluate every resource")
	if !strings.Contains(errorsSection, "CSA-JOB-001") {
		t.Errorf("the table does not show the check in error:\n%s", r.stdout)
	}
	rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.CheckByID("CSA-JOB-001"); c.Status != report.Error || c.StatusReason != "fact db.async_job was not collected" {
		t.Errorf("CSA-JOB-001: %s %q", c.Status, c.StatusReason)
	}
}

func TestBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badYAML := write("bad.yaml", "database: [unclosed\n")
	unknownKey := write("unknown.yaml", "databse:\n  dsn: x\n")
	nestedKey := write("nested.yaml", "name: lab\nssh:\n  user: root\n  bogus: 1\n")
	wrongType := write("type.yaml", "ssh:\n  concurrency: many\n")
	badDuration := write("duration.yaml", "ssh:\n  connect_timeout: [10s]\n")
	unknownParam := write("param.yaml", "policies:\n  params:\n    no_such_param: 1\n")
	wrongParam := write("paramtype.yaml", "policies:\n  params:\n    vm_stuck_minutes: ten\n")
	noSSH := write("nossh.yaml", "name: lab\n")
	badWaiver := write("waivers.yaml", "waivers:\n  - check: CSA-SET-001\n    resource: x\n")
	waiverKey := write("waiverkey.yaml", "waivers:\n  - check: CSA-SET-001\n    resouce: x\n")
	labOut := t.TempDir()
	if r := csaudit(t, "audit", "--lab", "--format", "json", "--out", labOut); r.err != nil {
		t.Fatal(r.err)
	}
	gz, err := os.ReadFile(filepath.Join(labOut, pipeline.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	truncated := write("cut.json.gz", string(gz[:len(gz)/2]))
	oldSnap := write("old.json", `{"schema": "csaudit.snapshot/v0"}`)
	notJSON := write("junk.json", "not json")
	badRego := filepath.Join(dir, "rego")
	if err := os.MkdirAll(badRego, 0o755); err != nil {
		t.Fatal(err)
	}
	write("rego/x.rego", "package x\n\ndeny contains x if {")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--config", filepath.Join(dir, "missing.yaml")}, "missing.yaml: no such file"},
		{[]string{"audit", "--config", badYAML}, badYAML + ": line 1: did not find expected"},
		{[]string{"audit", "--config", unknownKey}, unknownKey + `: line 1: unknown field "databse"`},
		{[]string{"audit", "--config", nestedKey}, nestedKey + `: line 4: unknown field "bogus"`},
		{[]string{"audit", "--config", wrongType}, wrongType + ": line 2: ssh.concurrency: want a number, got a string"},
		{[]string{"audit", "--config", badDuration}, badDuration + ": line 2: ssh.connect_timeout: want a string, got a list"},
		{[]string{"audit", "--lab", "--config", unknownParam}, unknownParam + `: policies.params: unknown parameter "no_such_param"`},
		{[]string{"audit", "--snapshot", truncated, "--config", wrongParam}, wrongParam + ": policies.params.vm_stuck_minutes: want a number"},
		{[]string{"collect", "--config", noSSH, "--collectors", "hosts", "-o", filepath.Join(dir, "s.json")}, "collector hosts is selected but " + noSSH + " has no ssh: section"},
		{[]string{"collect", "--collectors", "database", "-o", filepath.Join(dir, "s.json")}, "collector database is selected but no --config with a database: section was given"},
		{[]string{"audit", "--config", noSSH, "--collectors", "libvirt"}, "no ssh: section"},
		{[]string{"audit", "--lab", "--waivers", badWaiver}, "justification is required"},
		{[]string{"audit", "--lab", "--waivers", waiverKey}, waiverKey + `: line 3: unknown field "resouce"`},
		{[]string{"audit", "--snapshot", truncated}, truncated + ": truncated or corrupt gzip: unexpected EOF"},
		{[]string{"audit", "--snapshot", oldSnap}, "csaudit.snapshot/v0"},
		{[]string{"audit", "--snapshot", notJSON}, "junk.json"},
		{[]string{"audit", "--lab", "--policy-dir", badRego}, "x.rego"},
		{[]string{"audit", "--collectors", "database,bogus"}, `unknown collector "bogus"`},
		{[]string{"audit", "--lab", "--format", "docx"}, `unknown format "docx"`},
		{[]string{"audit", "--lab", "--format", "csv"}, "--out DIR is required"},
		{[]string{"audit", "--lab", "--snapshot", oldSnap}, "use one of --lab and --snapshot"},
		{[]string{"audit", "--snapshot", oldSnap, "--collectors", "database"}, "--collectors does not apply to --snapshot"},
		{[]string{"collect"}, "-o SNAPSHOT"},
		{[]string{"report", filepath.Join(dir, "nope.json")}, "nope.json"},
		{[]string{"frobnicate"}, "unknown command"},
	} {
		r := csaudit(t, tc.args...)
		if r.code() != 2 || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: exit %d, error %v; want 2 and an error containing %q", tc.args, r.code(), r.err, tc.want)
		}
		// Go's names for the decoder's types mean nothing to the person
		// editing the file.
		if r.err != nil && (strings.Contains(r.err.Error(), "collectors.") || strings.Contains(r.err.Error(), "report.") || strings.Contains(r.err.Error(), ": yaml: ")) {
			t.Errorf("%v: error %q speaks Go", tc.args, r.err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s.json")); !os.IsNotExist(err) {
		t.Error("collect wrote a snapshot although a selected collector had no config section")
	}
}

// A failed audit writes nothing: the bad waiver is found before any output.
func TestNothingWrittenOnError(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	p := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(p, []byte("waivers: {}"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := csaudit(t, "audit", "--lab", "--waivers", p, "--format", "json", "--out", out)
	if r.code() != 2 {
		t.Fatalf("exit %d, want 2", r.code())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after a failed audit", out)
	}
}

func TestWaivers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "waivers.yaml")
	body := `waivers:
  - check: CSA-SET-001
    resource: integration.api.port
    justification: port bound to loopback behind a firewall, tracked in CHG-1234
    approver: security@example.org
    expires: 2027-01-31
  - check: CSA-SET-003
    resource: api.throttling.enabled
    justification: old exception
    approver: ops@example.org
    expires: 2026-01-01
  - check: CSA-HOST-002
    resource: "kvm-x-*"
    justification: matches nothing
    approver: ops@example.org
    expires: 2027-06-30
`
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r := csaudit(t, "audit", "--lab", "--waivers", p, "--format", "json", "--out", out, "--fail-on", "high")
	rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var waived, throttling *report.Finding
	for i, f := range rep.Findings {
		switch f.CheckID {
		case "CSA-SET-001":
			waived = &rep.Findings[i]
		case "CSA-SET-003":
			throttling = &rep.Findings[i]
		}
	}
	if waived == nil || waived.Status != report.Waived || waived.Waiver == nil || waived.Waiver.Approver != "security@example.org" {
		t.Fatalf("CSA-SET-001 not waived with its approver: %+v", waived)
	}
	if throttling == nil || throttling.Status != report.Open {
		t.Errorf("expired waiver still applies: %+v", throttling)
	}
	if len(rep.Waivers.Expired) != 1 || len(rep.Waivers.Unused) != 1 {
		t.Errorf("expired %v, unused %v; want one each", rep.Waivers.Expired, rep.Waivers.Unused)
	}
	if rep.Summary.Waived != 1 {
		t.Errorf("summary.waived = %d", rep.Summary.Waived)
	}
	if c := rep.CheckByID("CSA-SET-001"); c.Status != report.Pass {
		t.Errorf("CSA-SET-001 with its only finding waived is %s, want pass", c.Status)
	}
	// Other high findings remain open, so --fail-on high still fails.
	if r.code() != 1 {
		t.Errorf("exit %d, want 1", r.code())
	}
}

func TestChecksListAndShow(t *testing.T) {
	r := csaudit(t, "checks", "list", "--format", "json")
	if r.err != nil {
		t.Fatal(r.err)
	}
	var checks []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &checks); err != nil {
		t.Fatal(err)
	}
	if len(checks) < 10 {
		t.Fatalf("%d checks", len(checks))
	}
	for _, c := range checks {
		for _, k := range []string{"id", "title", "description", "severity", "category", "remediation", "references", "controls", "requires"} {
			if _, ok := c[k]; !ok {
				t.Errorf("check %v lacks %s", c["id"], k)
			}
		}
	}
	r = csaudit(t, "checks", "show", "CSA-STUCK-001")
	if r.err != nil || !strings.Contains(r.stdout, "seed:000") {
		t.Errorf("checks show: %v\n%s", r.err, r.stdout)
	}
	if r := csaudit(t, "checks", "show", "CSA-NOPE-999"); r.code() != 2 {
		t.Errorf("unknown check: exit %d", r.code())
	}
}

func TestReportRerender(t *testing.T) {
	out := t.TempDir()
	if r := csaudit(t, "audit", "--lab", "--format", "json", "--out", out); r.err != nil {
		t.Fatal(r.err)
	}
	r := csaudit(t, "report", filepath.Join(out, "csaudit-report.json"), "--format", "table")
	if r.err != nil {
		t.Fatal(r.err)
	}
	first := csaudit(t, "audit", "--lab")
	if r.stdout != first.stdout {
		t.Errorf("re-rendered table differs from the audit's:\n%s", cmp.Diff(first.stdout, r.stdout))
	}
}

// TestHostileNamesInertInTerminal: control characters from the cloud never reach the terminal.
func TestHostileNamesInertInTerminal(t *testing.T) {
	var snap map[string]any
	if err := json.Unmarshal(fixtures.Lab(), &snap); err != nil {
		t.Fatal(err)
	}
	for _, h := range snap["db"].(map[string]any)["host"].(map[string]any) {
		row := h.(map[string]any)
		if row["name"] == "xen-c03-h0003" {
			row["name"] = "evil\x1b[2J\x1b]0;pwned\x07\u202ename"
		}
	}
	b, _ := json.Marshal(snap)
	p := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := csaudit(t, "audit", "--snapshot", p)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if strings.ContainsAny(r.stdout, "\x1b\x07\u202e") {
		t.Errorf("control characters reached the terminal output")
	}
	if !strings.Contains(r.stdout, "evil[2J]0;pwnedname") {
		t.Errorf("the hostile name is not shown as text")
	}
}

// TestSecretsNeverInOutput plants canary secrets in the config and checks every
// output, the log and the error.
func TestSecretsNeverInOutput(t *testing.T) {
	c := testbed.NewCanary(3)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "db.pass")
	if err := os.WriteFile(pwFile, []byte(c.Values[2]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	body := "database:\n  dsn: \"audit:" + c.Values[0] + "@tcp(127.0.0.1:1)/cloud\"\n  password_file: " + pwFile +
		"\nipmi:\n  enabled: true\n  password: " + c.Values[1] + "\n  username: admin\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r := csaudit(t, "audit", "--config", cfg, "--format", "table,json", "--out", out)
	if r.err != nil && r.code() != 0 {
		c.Check(t, "error", []byte(r.err.Error()))
	}
	c.Check(t, "stdout", []byte(r.stdout))
	c.Check(t, "stderr", []byte(r.stderr))
	if !strings.Contains(r.stderr, "readable by group or others") {
		t.Errorf("no warning for a world-readable config holding a secret:\n%s", r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		c.CheckDir(t, out)
	}
	snapOut := filepath.Join(dir, "snap.json")
	r = csaudit(t, "collect", "--config", cfg, "-o", snapOut)
	c.Check(t, "collect stderr", []byte(r.stderr))
	if b, err := os.ReadFile(snapOut); err == nil {
		c.Check(t, snapOut, b)
	}
}

func TestVersion(t *testing.T) {
	r := csaudit(t, "version")
	if r.err != nil || r.stdout != "csaudit test\n" {
		t.Errorf("got %q, %v", r.stdout, r.err)
	}
}

func TestAllFormatsAndHistory(t *testing.T) {
	out := t.TempDir()
	hist := filepath.Join(t.TempDir(), "hist")
	r := csaudit(t, "audit", "--lab", "--format", pipeline.FormatNames(), "--out", out, "--history", hist)
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, f := range pipeline.Formats {
		if f.File == "" {
			continue
		}
		st, err := os.Stat(filepath.Join(out, f.File))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f.File, err)
		}
	}
	if r := csaudit(t, "audit", "--lab", "--history", hist); r.err != nil {
		t.Fatal(r.err)
	}
	b, err := os.ReadFile(filepath.Join(hist, "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d history lines, want 2", len(lines))
	}
	var e pipeline.HistoryEntry
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || e.Summary.Findings == 0 || len(e.Open) != e.Summary.Findings {
		t.Errorf("history entry %+v, %v", e, err)
	}
}

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	if r := csaudit(t, "audit", "--lab", "--format", "json", "--out", filepath.Join(dir, "a")); r.err != nil {
		t.Fatal(r.err)
	}
	if r := csaudit(t, "audit", "--snapshot", criticalSnapshot(t), "--format", "json", "--out", filepath.Join(dir, "b")); r.err != nil {
		t.Fatal(r.err)
	}
	r := csaudit(t, "diff", filepath.Join(dir, "a", "csaudit-report.json"), filepath.Join(dir, "b", "csaudit-report.json"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	// The integration API finding changed severity, not identity: it stays open,
	// and nothing else changed.
	a, err := report.LoadJSON(filepath.Join(dir, "a", "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("0 added, 0 resolved, %d still open", a.Summary.Findings); !strings.HasPrefix(r.stdout, want) {
		t.Errorf("diff:\n%s", r.stdout)
	}
}

// TestLabPDFText: the lab's PDF carries every finding's check id and the
// non-Latin host name as text, and passes qpdf's structural check.
func TestLabPDFText(t *testing.T) {
	pdftotext, err := testbed.Need("poppler-utils", "pdftotext")
	if err != nil {
		testbed.Missing(t, err)
	}
	qpdf, err := testbed.Need("qpdf", "qpdf")
	if err != nil {
		testbed.Missing(t, err)
	}
	out := t.TempDir()
	if r := csaudit(t, "audit", "--lab", "--format", "pdf,json", "--out", out); r.err != nil {
		t.Fatal(r.err)
	}
	pdf := filepath.Join(out, "csaudit-report.pdf")
	if b, err := exec.Command(qpdf, "--check", pdf).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, b)
	}
	txt, err := exec.Command(pdftotext, "-enc", "UTF-8", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	// pdftotext may break lines anywhere a long cell wraps; compare without whitespace.
	flat := strings.Join(strings.Fields(string(txt)), "")
	rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if !strings.Contains(flat, f.CheckID) {
			t.Errorf("PDF text lacks %s", f.CheckID)
		}
	}
	if !strings.Contains(flat, "узел-kvm-0007") {
		t.Error("PDF text lacks the non-Latin host name узел-kvm-0007")
	}
}

// A saved snapshot re-evaluated with the config it was audited with gets the
// same thresholds, custom checks and waivers; the config's collectors are not
// run. The report records the thresholds in effect.
func TestSnapshotWithConfig(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "first")
	if r := csaudit(t, "audit", "--lab", "--format", "json", "--out", saved); r.err != nil {
		t.Fatal(r.err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rego"), 0o755); err != nil {
		t.Fatal(err)
	}
	custom := `# METADATA
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
	files := map[string]string{
		"rego/note.rego": custom,
		"waivers.yaml":   "waivers:\n  - {check: CSA-SET-001, resource: integration.api.port, justification: j, approver: a, expires: 2099-01-01}\n",
		// The database section would be collected from without --snapshot;
		// the address refuses connections, so a collection would show.
		"config.yaml": "database:\n  dsn: \"audit@tcp(127.0.0.1:1)/cloud\"\nssh:\n  user: root\n" +
			"policies:\n  dirs: [rego]\n  params:\n    java_heap_min_mb: 512\nwaivers: waivers.yaml\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	first, err := report.LoadJSON(filepath.Join(saved, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range [][]string{{"--snapshot", filepath.Join(saved, pipeline.SnapshotFile)}, {"--lab"}} {
		out := t.TempDir()
		args := append([]string{"audit", "--config", cfg, "--format", "json", "--out", out}, src...)
		if r := csaudit(t, args...); r.err != nil {
			t.Fatalf("%v: %v", args, r.err)
		}
		rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Snapshot.SHA256 != first.Snapshot.SHA256 || len(rep.CollectorErrors) != len(first.CollectorErrors) {
			t.Errorf("%v: a different snapshot was evaluated (collected?): %s, %d collector errors", src, rep.Snapshot.SHA256, len(rep.CollectorErrors))
		}
		if c := rep.CheckByID("CSA-LOCAL-004"); c == nil || c.Status != report.Pass {
			t.Errorf("%v: java_heap_min_mb 512 not applied: CSA-LOCAL-004 %+v", src, c)
		}
		if c := rep.CheckByID("CSA-SITE-001"); c == nil || c.Status != report.Fail {
			t.Errorf("%v: the config's policy dir was not loaded: %+v", src, c)
		}
		if c := rep.CheckByID("CSA-SET-001"); c == nil || c.Status != report.Pass || rep.Summary.Waived != 1 {
			t.Errorf("%v: the config's waivers were not applied: %+v, %d waived", src, c, rep.Summary.Waived)
		}
		if got := fmt.Sprint(rep.PolicyParams["java_heap_min_mb"]); got != "512" {
			t.Errorf("%v: policy_params.java_heap_min_mb %s, want 512", src, got)
		}
		if got := fmt.Sprint(rep.PolicyParams["vm_stuck_minutes"]); got != "30" {
			t.Errorf("%v: policy_params.vm_stuck_minutes %s, want the default 30", src, got)
		}
	}
}

// A report file that cannot be put in place (a directory holds its name) fails
// the run and leaves --out as it was: no new file, no temporary left behind,
// the previous report untouched.
func TestOutputsAllOrNothing(t *testing.T) {
	out := t.TempDir()
	old := []byte(`{"previous": true}`)
	if err := os.WriteFile(filepath.Join(out, "csaudit-report.json"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(out, "csaudit-report.pdf"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := csaudit(t, "audit", "--lab", "--format", "json,csv,pdf", "--out", out)
	if r.code() != 2 || !strings.Contains(r.err.Error(), "csaudit-report.pdf") {
		t.Fatalf("exit %d, %v; want 2 naming the PDF", r.code(), r.err)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "csaudit-report.json csaudit-report.pdf" {
		t.Errorf("--out holds %q after the failure, want only what was there", got)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "csaudit-report.json")); !bytes.Equal(b, old) {
		t.Error("the previous report was replaced by a failed run")
	}

	// A missing --out that the failed run created is removed again.
	fresh := filepath.Join(t.TempDir(), "new")
	if err := pipeline.WriteAll(fresh, map[string][]byte{"a": nil, "b/c": nil}); err == nil {
		t.Fatal("writing b/c succeeded")
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", fresh, err)
	}
}

// The product binary links no fixture but the embedded lab snapshot: no test
// harness (real peers, process groups), generator or test-only renderer;
// labgen once pulled the harness in through a shared helper.
func TestBinaryDoesNotLinkFixtures(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, "/csaudit/fixtures/") || strings.HasSuffix(p, "/report/reporttest") {
			t.Errorf("csaudit links %s", p)
		}
	}
}

// A secret misplaced in a config (an alias-looking password, a tagged value,
// a secret where a duration belongs) never reaches the error message.
func TestConfigErrorsNeverQuoteValues(t *testing.T) {
	for _, body := range []string{
		"database:\n  dsn: x\n  password: *Hunter2Secret\n",
		"database:\n  dsn: !!int Hunter2Secret\n",
		"timeouts:\n  database: Hunter2Secret\n",
		"database: {dsn: 'Hunter2Secret\n",
	} {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		r := csaudit(t, "audit", "--config", p)
		msg := fmt.Sprint(r.err)
		if r.code() != 2 || strings.Contains(r.stdout+r.stderr+msg, "Hunter2") || !strings.Contains(msg, "c.yaml") {
			t.Errorf("%q: exit %d, error %q", body, r.code(), msg)
		}
	}
}

// config show prints the effective config: defaults filled in, secrets as <set>.
func TestConfigShow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("database:\n  dsn: \"audit:hunter2@tcp(db:3306)/cloud\"\nssh:\n  user: csaudit\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := csaudit(t, "config", "show", "--config", path)
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, want := range []string{"audit:<set>@tcp(db:3306)/cloud", "user: csaudit", "concurrency: 32", "connect_timeout: 10s", "socket: /var/run/libvirt/libvirt-sock-ro", "database: 10m0s"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config show lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "hunter2") {
		t.Error("config show printed the password")
	}
	if r := csaudit(t, "config", "show"); r.code() != 2 {
		t.Errorf("without --config: exit %d", r.code())
	}
}

// A run whose database collector produced nothing cannot gate: with --fail-on
// it exits 2 (the unit fails) unless --allow-partial says to gate on the rest.
func TestIncompleteRunCannotGate(t *testing.T) {
	var snap map[string]any
	if err := json.Unmarshal(fixtures.Lab(), &snap); err != nil {
		t.Fatal(err)
	}
	run := snap["meta"].(map[string]any)["collectors"].(map[string]any)["database"].(map[string]any)
	run["ok"], run["error"] = false, "connection refused"
	b, _ := json.Marshal(snap)
	p := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := csaudit(t, "audit", "--snapshot", p, "--fail-on", "critical")
	if r.code() != 2 || !strings.Contains(r.err.Error(), "database failed: connection refused") {
		t.Errorf("--fail-on on a broken run: exit %d, %v", r.code(), r.err)
	}
	if r := csaudit(t, "audit", "--snapshot", p, "--fail-on", "critical", "--allow-partial"); r.code() != 1 {
		t.Errorf("--allow-partial: exit %d, %v (the lab has critical findings)", r.code(), r.err)
	}
	if r := csaudit(t, "audit", "--snapshot", p); r.err != nil {
		t.Errorf("without a gate a broken run still reports: %v", r.err)
	}
	if r := csaudit(t, "audit", "--lab", "--fail-on", "critical"); r.code() != 1 {
		t.Errorf("the lab is complete: exit %d, %v", r.code(), r.err)
	}
}

// diff refuses a snapshot in words.
func TestDiffGivenASnapshot(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(p, fixtures.Lab(), 0o600); err != nil {
		t.Fatal(err)
	}
	r := csaudit(t, "diff", p, p)
	if r.code() != 2 || !strings.Contains(r.err.Error(), "a csaudit snapshot, not a report") {
		t.Errorf("exit %d, %v", r.code(), r.err)
	}
}

// A FIFO (or device) given as config, waivers, policy, snapshot or report is
// refused at once with exit 2; nothing waits for a writer.
func TestNonRegularInputsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join(dir, "pol")
	os.Mkdir(pol, 0o700)
	if err := syscall.Mkfifo(filepath.Join(pol, "x.rego"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"audit", "--config", fifo},
		{"audit", "--lab", "--waivers", fifo},
		{"audit", "--lab", "--policy-dir", pol},
		{"audit", "--snapshot", fifo},
		{"report", fifo, "--format", "table"},
		{"diff", fifo, fifo},
	} {
		done := make(chan result, 1)
		go func() { done <- csaudit(t, args...) }()
		select {
		case r := <-done:
			if r.code() != 2 || !strings.Contains(r.err.Error(), "not a regular file") {
				t.Errorf("%v: exit %d, %v", args, r.code(), r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v blocked on the FIFO", args)
		}
	}
}
