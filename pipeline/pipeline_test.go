package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
)

// The report names the cloud by the config's name, else by its live zones,
// else by the database it was read from.
func TestTargetName(t *testing.T) {
	s := collectors.NewSnapshot(collectors.Tool{}, time.Time{})
	s.Meta.Database = &collectors.DBIdentity{Hostname: "db1", Port: 3306, Schema: "cloud"}
	if got := Target(s).Name; got != "db1:3306/cloud" {
		t.Errorf("no zones: name %q", got)
	}
	s.DB["data_center"] = collectors.Table{
		"2": collectors.RowOf(map[string]any{"name": "zone-b"}),
		"1": collectors.RowOf(map[string]any{"name": "zone-a"}),
		"3": collectors.RowOf(map[string]any{"name": "old", "removed": "2025-01-01 00:00:00"}),
	}
	if got := Target(s).Name; got != "zone-a, zone-b" {
		t.Errorf("zones: name %q", got)
	}
	s.Meta.Name = "prod-eu"
	if got := Target(s).Name; got != "prod-eu" {
		t.Errorf("config name: %q", got)
	}
}

// target.vms counts user VMs; routers and system VMs are system_vms.
func TestTargetVMs(t *testing.T) {
	s := collectors.NewSnapshot(collectors.Tool{}, time.Time{})
	s.DB["vm_instance"] = collectors.Table{
		"1": collectors.RowOf(map[string]any{"type": "User"}),
		"2": collectors.RowOf(map[string]any{"type": "User"}),
		"3": collectors.RowOf(map[string]any{"type": "User", "removed": "2025-01-01 00:00:00"}),
		"4": collectors.RowOf(map[string]any{"type": "DomainRouter"}),
		"5": collectors.RowOf(map[string]any{"type": "SecondaryStorageVm"}),
		"6": collectors.RowOf(map[string]any{"type": "ConsoleProxy"}),
	}
	if got := Target(s); got.VMs != 2 || got.SystemVMs != 3 {
		t.Errorf("vms %d, system_vms %d; want 2 and 3", got.VMs, got.SystemVMs)
	}
}

// A YAML message the rewriter does not know still never quotes the value.
func TestYAMLMessagesDropValues(t *testing.T) {
	for _, e := range []string{
		"line 5: cannot decode !!str `hunter2` as a !!timestamp",
		"line 2: cannot unmarshal !!str `hunter2` into int",
	} {
		if got := yamlLine(e, map[int]string{2: "ssh.concurrency", 5: "database.password_file"}); strings.Contains(got, "hunter2") || !strings.HasPrefix(got, "line ") {
			t.Errorf("yamlLine(%q) = %q", e, got)
		}
	}
}

// A killed run's temporary directory is removed by the next run into the
// same --out; a fresh one (a concurrent run's) is left alone.
func TestWriteAllRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, ".csaudit-out-123")
	fresh := filepath.Join(dir, ".csaudit-out-456")
	for _, d := range []string{old, fresh} {
		if err := os.MkdirAll(filepath.Join(d, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(dir, map[string][]byte{"r.json": []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("leftover %s still there: %v", old, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh temporary directory was removed: %v", err)
	}
}

// A torn last history line (a killed run) is dropped before the next append;
// a whole history stays as it was.
func TestHistoryRepairsTornLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, HistoryFile)
	if err := os.WriteFile(path, []byte("{\"a\":1}\n{\"b\":"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := PrepareHistory(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{\"a\":1}\n" {
		t.Errorf("after repair: %q", b)
	}
	r := &report.Report{Findings: []report.Finding{{ID: "f1", Status: report.Open}}}
	if err := AppendHistory(dir, r); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"open_findings":["f1"]`) {
		t.Errorf("history %q", b)
	}
	// A history path that cannot hold the file is found before anything is written.
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	if err := PrepareHistory(blocker); err == nil {
		t.Error("a history directory that is a file was accepted")
	}
}

// Config YAML that csaudit never accepts, and errors that name the field in
// words and never quote a value.
func TestConfigYAMLStrict(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ yaml, want string }{
		"tagged secret": {"ipmi:\n  password: !secret hunter2\n", "line 2 (ipmi.password): tagged values (!tag) are not accepted"},
		"tagged str":    {"ssh:\n  user: !!str hunter2\n", "tagged values"},
		"two documents": {"ssh:\n  user: a\n---\nssh:\n  user: hunter2\n", "a second YAML document"},
		"wrong kind":    {"ssh:\n  concurrency: hunter2\n", "line 2: ssh.concurrency: want a number, got a string"},
		"bad duration":  {"ssh:\n  connect_timeout: hunter2\n", "ssh.connect_timeout"},
		"unknown field": {"ssh:\n  hunter2: 1\n", `line 2: unknown field "hunter2"`},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(p, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if name != "unknown field" && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes the value: %v", err)
			}
			if strings.Contains(err.Error(), "a value") || strings.Contains(err.Error(), "collectors.") {
				t.Errorf("the error reads like Go, not like the file: %v", err)
			}
		})
	}
}

// A waiver file gets the same strictness.
func TestWaiverYAMLStrict(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.yaml")
	os.WriteFile(p, []byte("waivers:\n  - check: !x CSA-SET-001\n"), 0o600)
	if _, err := LoadWaivers(&collectors.Config{}, p); err == nil || !strings.Contains(err.Error(), "waivers[1].check") {
		t.Errorf("tagged waiver: %v", err)
	}
}
