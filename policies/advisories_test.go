package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/policies/advisory"
	"github.com/csaudit/csaudit/report"
)

// cloudAt is a small snapshot: two Up management servers, and when hv two
// KVM agents, an SSVM agent and a XenServer host, all at version, and a
// SharedMountPoint pool, a webhook, a MinIO object store, an OAuth provider
// and a backup repository; settings as given (absent ones cannot be judged).
func cloudAt(t *testing.T, version string, hv bool, settings map[string]string) []byte {
	t.Helper()
	covered := map[string]any{"collector": "database", "selected": true, "collected": []string{"x"}}
	hosts, pools := map[string]any{}, map[string]any{}
	if hv {
		for i, h := range [][2]string{{"Routing", "KVM"}, {"Routing", "KVM"}, {"SecondaryStorageVM", "None"}, {"Routing", "XenServer"}} {
			id := fmt.Sprint(i + 1)
			hosts[id] = map[string]any{"id": i + 1, "uuid": "uuid-h" + id, "name": "h" + id, "type": h[0], "status": "Up", "hypervisor_type": h[1],
				"version": version, "removed": nil, "cluster_id": 1}
		}
		pools["1"] = map[string]any{"id": 1, "uuid": "uuid-p1", "name": "p1", "pool_type": "SharedMountPoint", "removed": nil}
	}
	feature := func(row map[string]any) map[string]any {
		if !hv {
			return map[string]any{}
		}
		row["id"], row["removed"] = 1, nil
		return map[string]any{"1": row}
	}
	ms := map[string]any{}
	for _, id := range []string{"1", "2"} {
		ms[id] = map[string]any{"id": id, "msid": id, "uuid": "uuid-ms" + id, "name": "ms-" + id, "state": "Up", "version": version,
			"removed": nil, "last_update": "2026-11-22T09:59:50Z"}
	}
	st := map[string]any{}
	for k, v := range settings {
		st[k] = map[string]any{"value": v, "default": nil}
	}
	b, err := json.Marshal(map[string]any{
		"schema": "csaudit.snapshot/v1",
		"meta":   map[string]any{"db_now": "2026-11-22T10:00:00Z", "collectors": map[string]any{"database": map[string]any{"selected": true}}},
		"db": map[string]any{"mshost": ms, "host": hosts, "storage_pool": pools,
			"webhook": feature(map[string]any{"name": "w"}), "object_store": feature(map[string]any{"object_provider_name": "MinIO"}),
			"oauth_provider": feature(map[string]any{"provider": "google"}), "backup_repository": feature(map[string]any{"name": "nas"})},
		"settings": st,
		"hosts":    map[string]any{},
		"coverage": map[string]any{"db.mshost": covered, "db.host": covered, "db.storage_pool": covered, "settings": covered,
			"db.webhook": covered, "db.object_store": covered, "db.oauth_provider": covered, "db.backup_repository": covered},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// advisoryFindings evaluates a snapshot and returns the advisory and known-bug
// findings by entry id, requiring one finding each (filed on the cloud).
func advisoryFindings(t *testing.T, e *Engine, snap []byte) map[string]report.Finding {
	t.Helper()
	in, err := ParseInput(snap)
	if err != nil {
		t.Fatal(err)
	}
	checks, fs, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if strings.HasPrefix(c.ID, "CSA-ADV") && c.Status == report.Error {
			t.Fatalf("%s: %s", c.ID, c.StatusReason)
		}
	}
	out := map[string]report.Finding{}
	for _, f := range fs {
		if f.CheckID != "CSA-ADV-001" && f.CheckID != "CSA-ADV-002" {
			continue
		}
		if _, dup := out[f.Discriminator]; dup || f.Resource.Type != "cloud" {
			t.Fatalf("%s: more than one finding, or not on the cloud (%+v)", f.Discriminator, f.Resource)
		}
		out[f.Discriminator] = f
	}
	return out
}

// judgeable reports whether the snapshots below can show one of the entry's
// necessary conditions off: every kind the parser reads is collected there.
func judgeable(e advisory.Entry) bool {
	for _, c := range e.Conditions {
		if c.Gating {
			return true
		}
	}
	return false
}

var featuresOn = map[string]string{
	"saml2.enabled": "true", "quota.enable.service": "true", "oauth2.enabled": "true", "enable.user.2fa": "true",
	"cloud.kubernetes.service.enabled": "true", "backup.framework.enabled": "true", "project.invite.required": "true",
	"user.vm.denied.details": "rootdisksize", "vmSnapshot.strategies.exclude": "",
}

var featuresOff = map[string]string{
	"saml2.enabled": "false", "quota.enable.service": "false", "oauth2.enabled": "false", "enable.user.2fa": "false",
	"cloud.kubernetes.service.enabled": "false", "backup.framework.enabled": "false", "project.invite.required": "false",
	"user.vm.denied.details": "rootdisksize, proxmox_vmid", "vmSnapshot.strategies.exclude": "KvmFileBasedStorageVmSnapshotStrategy",
}

// TestAdvisoriesPerReleaseLine: a cloud at one version of each of three
// release lines, with every feature on and with every feature off. The Rego
// checks report exactly the entries the Go parser says affect the version, at
// the mapped severity (info when the snapshot shows a needed condition off),
// naming the fixed release Go picks for the version's line.
func TestAdvisoriesPerReleaseLine(t *testing.T) {
	e := defaultEngine(t)
	data := e.Advisories()
	for _, version := range []string{"4.19.0.1", "4.20.1.0", "4.22.0.0"} {
		v, err := advisory.ParseVersion(version)
		if err != nil {
			t.Fatal(err)
		}
		for _, on := range []bool{true, false} {
			settings, name := featuresOn, "on"
			if !on {
				settings, name = featuresOff, "off"
			}
			t.Run(version+"/features-"+name, func(t *testing.T) {
				got := advisoryFindings(t, e, cloudAt(t, version, on, settings))
				want := map[string]report.Severity{}
				for _, en := range data.Entries {
					if !en.Affects(v) {
						continue
					}
					want[en.ID] = en.Severity
					if !on && judgeable(en) {
						want[en.ID] = report.Info
					}
				}
				gotSev := map[string]report.Severity{}
				for id, f := range got {
					gotSev[id] = f.Severity
				}
				if d := cmp.Diff(gotSev, want); d != "" {
					t.Errorf("entries and severities (-got +want):\n%s", d)
				}
				if len(want) < 5 {
					t.Errorf("only %d entries affect %s: the test proves little", len(want), version)
				}
				for _, en := range data.Entries {
					f, ok := got[en.ID]
					if !ok {
						continue
					}
					fix, has := en.FixFor(v)
					groups, _ := f.Evidence["affected"].([]any)
					text := fmt.Sprint(groups)
					if has && !strings.Contains(text, fix.String()) {
						t.Errorf("%s at %s: want fixed release %s named, got %s", en.ID, version, fix, text)
					}
					if (f.Severity == report.Info) != strings.HasPrefix(f.Message, "not exposed") {
						t.Errorf("%s: severity %s, message %q", en.ID, f.Severity, f.Message)
					}
				}
			})
		}
	}
}

// TestAcceptanceOlderPatchReleaseSAMLOnQuotaOff is the acceptance: a
// cloud whose servers and agents run 4.19.0.1 with SAML on and Quota off.
func TestAcceptanceOlderPatchReleaseSAMLOnQuotaOff(t *testing.T) {
	e := defaultEngine(t)
	const version = "4.19.0.1"
	got := advisoryFindings(t, e, cloudAt(t, version, true, map[string]string{"saml2.enabled": "true", "quota.enable.service": "false"}))
	v, _ := advisory.ParseVersion(version)
	quota := 0
	for _, en := range e.Advisories().Entries {
		f, reported := got[en.ID]
		if en.Affects(v) != reported {
			t.Errorf("%s (affected %s, fixed %s): reported %v", en.ID, en.AffectedText, en.FixedText, reported)
			continue
		}
		if !reported {
			continue
		}
		switch {
		case strings.Contains(en.Component, "Quota plugin"):
			quota++
			if f.Severity != report.Info || !strings.HasPrefix(f.Message, "not exposed") {
				t.Errorf("%s on Quota, which is off: %s %q", en.ID, f.Severity, f.Message)
			}
		case en.Kind == "advisory" && f.Severity != en.Severity:
			t.Errorf("%s: severity %s, want the mapped %s", en.ID, f.Severity, en.Severity)
		}
	}
	if quota == 0 {
		t.Error("no Quota advisory affects 4.19.0.1 in the data: the acceptance is not exercised")
	}
	for _, id := range []string{"CVE-2024-41107", "CVE-2024-42062"} {
		if _, ok := got[id]; !ok {
			t.Errorf("%s (affects 4.19.0.1) not reported", id)
		}
	}
	for _, id := range []string{"CVE-2024-29006", "CVE-2025-66170", "CVE-2022-26779"} { // fixed in 4.19.0.1; 4.21+ only; before 4.16.1
		if _, ok := got[id]; ok {
			t.Errorf("%s reported on %s", id, version)
		}
	}
	if f := got["CVE-2024-41107"]; f.Severity != report.High {
		t.Errorf("SAML advisory with SAML on: %s", f.Severity)
	}

	// The planning list gives the same set without a cloud, unjudged.
	planned, err := e.ForVersion(context.Background(), version)
	if err != nil {
		t.Fatal(err)
	}
	var listIDs, auditIDs []string
	for _, f := range planned {
		if f.CheckID == "CSA-ADV-003" {
			continue
		}
		listIDs = append(listIDs, f.Discriminator)
		for _, en := range e.Advisories().Entries {
			if en.ID == f.Discriminator && f.Severity != en.Severity {
				t.Errorf("list: %s at %s, want the mapped %s", en.ID, f.Severity, en.Severity)
			}
		}
	}
	for id := range got {
		auditIDs = append(auditIDs, id)
	}
	sort.Strings(listIDs)
	sort.Strings(auditIDs)
	if d := cmp.Diff(listIDs, auditIDs); d != "" {
		t.Errorf("advisories list --version differs from the audit (-list +audit):\n%s", d)
	}
}

func TestForVersionRejectsBadVersion(t *testing.T) {
	e := defaultEngine(t)
	for _, v := range []string{"", "4", "latest", "4.x.1"} {
		if _, err := e.ForVersion(context.Background(), v); err == nil {
			t.Errorf("version %q accepted", v)
		}
	}
}
