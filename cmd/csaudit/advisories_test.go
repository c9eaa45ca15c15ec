package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/policies/advisory"
	"github.com/csaudit/csaudit/report"
)

type listOutput struct {
	Version      string               `json:"version"`
	AdvisoryData *report.AdvisoryData `json:"advisory_data"`
	Entries      []advisory.Row       `json:"entries"`
	Notes        []string             `json:"notes"`
}

func listJSON(t *testing.T, args ...string) listOutput {
	t.Helper()
	r := csaudit(t, append([]string{"advisories", "list", "--format", "json"}, args...)...)
	if r.err != nil {
		t.Fatalf("advisories list %v: %v\n%s", args, r.err, r.stderr)
	}
	var out listOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("advisories list output: %v\n%s", err, r.stdout)
	}
	return out
}

// TestAdvisoriesAcceptanceThroughDatabase is the acceptance end to
// end: a CloudStack database in a real MariaDB whose management servers and
// agents run 4.19.0.1, with SAML login on and the Quota plugin off, audited
// through the database collector with a SELECT-only account.
func TestAdvisoriesAcceptanceThroughDatabase(t *testing.T) {
	m := testbed.SharedMariaDB(t)
	const schema = "advlab"
	if err := m.LoadSchema(schema); err != nil {
		t.Fatal(err)
	}
	var lab bytes.Buffer
	if err := labgen.Write(&lab, labgen.Options{Seed: 7, Hosts: 6, VMs: 10, Now: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if err := m.Exec(schema, lab.String()); err != nil {
		t.Fatal(err)
	}
	if err := m.Exec(schema, `UPDATE mshost SET version = '4.19.0.1';
UPDATE host SET version = '4.19.0.1' WHERE version IS NOT NULL;
INSERT INTO configuration (category, instance, component, name, value, default_value, scope, is_dynamic)
  VALUES ('Advanced', 'DEFAULT', 'SAML2AuthManager', 'saml2.enabled', 'true', 'false', 1, 1),
         ('Advanced', 'DEFAULT', 'QuotaManager', 'quota.enable.service', 'false', 'false', 1, 1)
  ON DUPLICATE KEY UPDATE value = VALUES(value);`); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateReadOnlyUser("adv_ro", "adv-pw-3K", schema); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("database:\n  dsn: \""+m.DSN("adv_ro", schema)+"\"\n  password_file: pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("adv-pw-3K\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if r := csaudit(t, "audit", "--config", cfg, "--format", "json", "--out", out); r.err != nil && r.code() != 0 {
		t.Fatalf("audit: %v\n%s", r.err, r.stderr)
	}
	rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.AdvisoryData == nil || rep.AdvisoryData.Source != "embedded" || rep.AdvisoryData.Date == "" {
		t.Errorf("report advisory_data %+v", rep.AdvisoryData)
	}
	audit := map[string]report.Finding{}
	for _, f := range rep.Findings {
		if f.CheckID == "CSA-ADV-001" || f.CheckID == "CSA-ADV-002" {
			if _, dup := audit[f.Discriminator]; dup {
				t.Errorf("%s: two findings although every server runs one version", f.Discriminator)
			}
			audit[f.Discriminator] = f
		}
	}
	for _, c := range rep.Checks {
		if strings.HasPrefix(c.ID, "CSA-ADV") && c.Status == report.Error {
			t.Errorf("%s: %s", c.ID, c.StatusReason)
		}
	}

	list := listJSON(t, "--version", "4.19.0.1")
	var listIDs, auditIDs []string
	quota := 0
	for _, p := range list.Entries {
		listIDs = append(listIDs, p.ID)
		f, ok := audit[p.ID]
		if !ok {
			continue
		}
		switch {
		case strings.Contains(p.Component, "Quota plugin"):
			quota++
			if f.Severity != report.Info || !strings.HasPrefix(f.Message, "not exposed") {
				t.Errorf("%s with Quota off: %s %q", p.ID, f.Severity, f.Message)
			}
		case strings.Contains(p.Component, "SAML2"), p.Kind == "advisory" && p.ExposedWhen == "":
			if f.Severity != p.Severity {
				t.Errorf("%s: %s in the audit, %s mapped", p.ID, f.Severity, p.Severity)
			}
		}
	}
	for id := range audit {
		auditIDs = append(auditIDs, id)
	}
	sort.Strings(listIDs)
	sort.Strings(auditIDs)
	if d := cmp.Diff(auditIDs, listIDs); d != "" {
		t.Errorf("audit and advisories list --version differ (-audit +list):\n%s", d)
	}
	if quota == 0 || len(auditIDs) < 10 {
		t.Errorf("%d entries, %d on Quota: the data does not exercise the acceptance", len(auditIDs), quota)
	}
	if f := audit["CVE-2024-41107"]; f.Severity != report.High || !strings.Contains(f.Message, "fixed in 4.19.1.0") {
		t.Errorf("SAML advisory: %s %q", f.Severity, f.Message)
	}
	for _, id := range []string{"CVE-2024-29006", "CVE-2025-66171"} {
		if _, ok := audit[id]; ok {
			t.Errorf("%s reported on 4.19.0.1 (fixed in it / other line)", id)
		}
	}
}

func TestAdvisoriesList(t *testing.T) {
	all := listJSON(t)
	if all.AdvisoryData.Advisories == 0 || len(all.Entries) != all.AdvisoryData.Advisories+all.AdvisoryData.KnownBugs {
		t.Fatalf("list without --version: %d entries for %+v", len(all.Entries), all.AdvisoryData)
	}
	old := listJSON(t, "--version", "4.19.0.1")
	newest := listJSON(t, "--version", "4.22.1.1")
	if len(old.Entries) <= len(newest.Entries) || len(old.Notes) != 1 {
		t.Errorf("4.19.0.1: %d entries, notes %q; 4.22.1.1: %d entries", len(old.Entries), old.Notes, len(newest.Entries))
	}
	for _, p := range newest.Entries {
		if p.FixedIn != "no fixed release published (none stated in advisory)" && p.FixedIn != "no fixed release published" {
			t.Errorf("4.22.1.1 lists %s, fixed: %s", p.ID, p.FixedIn)
		}
	}
	r := csaudit(t, "advisories", "list", "--version", "4.19.0.1")
	if r.err != nil || !strings.Contains(r.stdout, "CVE-2024-41107") || !strings.Contains(r.stdout, "exposed when: saml2.enabled=true") {
		t.Errorf("table: %v\n%s", r.err, r.stdout)
	}
	if r := csaudit(t, "checks", "show", "CSA-ADV-001"); r.err != nil || !strings.Contains(r.stdout, "advisory data: embedded, newest advisory "+all.AdvisoryData.Date) {
		t.Errorf("checks show CSA-ADV-001: %v\n%s", r.err, r.stdout)
	}
	for _, args := range [][]string{{"--version", "latest"}, {"--format", "xml"}, {"--advisories", filepath.Join(t.TempDir(), "none.tsv")}} {
		if r := csaudit(t, append([]string{"advisories", "list"}, args...)...); r.code() != 2 {
			t.Errorf("advisories list %v: exit %d, want 2 (%v)", args, r.code(), r.err)
		}
	}
}

// TestAdvisoriesFileReplacesData: --advisories on audit and list, and the
// config's advisories: relative to the config file, replace the embedded
// data; the report names the file, and old data gets the age note.
func TestAdvisoriesFileReplacesData(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "adv.tsv")
	body := "id\tpublished\tseverity\taffected\tfixed_in\tcomponent\tsummary\tmitigation\tdetectable_by\tsource\n" +
		"CVE-2099-0001\t2020-01-01\tcritical\t>=4.22.0.0,<4.22.9.0\t4.22.9.0\tTest\tA test advisory.\tupgrade\tversion only\thttps://example.org\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if r := csaudit(t, "audit", "--lab", "--advisories", file, "--format", "json", "--out", out); r.err != nil && r.code() != 0 {
		t.Fatalf("audit: %v\n%s", r.err, r.stderr)
	}
	rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.AdvisoryData == nil || rep.AdvisoryData.Source != file || rep.AdvisoryData.Date != "2020-01-01" || rep.AdvisoryData.Advisories != 1 {
		t.Errorf("advisory_data %+v", rep.AdvisoryData)
	}
	var ids []string
	for _, f := range rep.Findings {
		if f.CheckID == "CSA-ADV-001" || f.CheckID == "CSA-ADV-004" {
			ids = append(ids, f.CheckID+" "+f.Discriminator)
		}
	}
	sort.Strings(ids)
	if d := cmp.Diff(ids, []string{"CSA-ADV-001 CVE-2099-0001", "CSA-ADV-004 "}); d != "" {
		t.Errorf("findings with the replacement data (-got +want):\n%s", d)
	}

	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("advisories: adv.tsv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := csaudit(t, "audit", "--lab", "--config", cfg, "--format", "table")
	if r.err != nil && r.code() != 1 {
		t.Fatalf("audit --config: %v\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "advisory data: "+file+", newest advisory 2020-01-01") {
		t.Errorf("table does not name the config's advisory file:\n%.600s", r.stdout)
	}
	if l := listJSON(t, "--advisories", file, "--version", "4.22.0.0"); len(l.Entries) != 2 { // the advisory and the embedded known bug 10632
		t.Errorf("list with the file: %+v", l.Entries)
	}
	bad := filepath.Join(dir, "bad.tsv")
	if err := os.WriteFile(bad, []byte(strings.Replace(body, ">=4.22.0.0", "~4.22", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := csaudit(t, "audit", "--lab", "--advisories", bad); r.code() != 2 || !strings.Contains(r.err.Error(), bad) || !strings.Contains(r.err.Error(), "line 2") {
		t.Errorf("bad file: exit %d, %v", r.code(), r.err)
	}
}
