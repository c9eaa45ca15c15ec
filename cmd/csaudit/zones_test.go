package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/pipeline"
	"github.com/csaudit/csaudit/report"
)

// TestZonesAndMerge audits a two-zone cloud in the real database zone by
// zone (--zone by name and by uuid), then merges the two reports: each part
// holds only its zone's hosts and VMs, and the merged report has the whole
// cloud's VM and host findings, the summed target, both snapshot digests and
// a recomputed summary. Overlapping parts and an unknown zone exit 2.
func TestZonesAndMerge(t *testing.T) {
	m := testbed.SharedMariaDB(t)
	const schema = "zonelab"
	if err := m.LoadSchema(schema); err != nil {
		t.Fatal(err)
	}
	var lab bytes.Buffer
	if err := labgen.Write(&lab, labgen.Options{Seed: 9, Hosts: 12, VMs: 60, Now: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if err := m.Exec(schema, lab.String()); err != nil {
		t.Fatal(err)
	}
	// A second zone with a pod of its own, holding cluster 2: its hosts,
	// their VMs and volumes, and its storage pools.
	if err := m.Exec(schema, `INSERT INTO data_center (id, name, uuid, dns1, internal_dns1, networktype, allocation_state, created, guest_network_cidr)
	  VALUES (2, 'zone-two', '00000000-0000-4000-8000-00000000zz02', '10.0.0.2', '10.0.0.2', 'Advanced', 'Enabled', UTC_TIMESTAMP(), '10.2.0.0/16');
	INSERT INTO host_pod_ref (id, name, uuid, data_center_id, gateway, cidr_address, cidr_size, description, allocation_state, created)
	  VALUES (2, 'pod-two', '00000000-0000-4000-8000-00000000pp02', 2, '10.9.0.1', '10.9.0.0', 16, '', 'Enabled', UTC_TIMESTAMP());
	UPDATE cluster SET pod_id = 2, data_center_id = 2 WHERE id = 2;
	UPDATE host SET pod_id = 2, data_center_id = 2 WHERE cluster_id = 2;
	UPDATE storage_pool SET pod_id = 2, data_center_id = 2 WHERE cluster_id = 2;
	UPDATE vm_instance v JOIN host h ON h.id = COALESCE(v.host_id, v.last_host_id) SET v.data_center_id = 2, v.pod_id = 2 WHERE h.cluster_id = 2;
	UPDATE volumes o JOIN vm_instance v ON v.id = o.instance_id SET o.data_center_id = 2, o.pod_id = 2 WHERE v.data_center_id = 2;`); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateReadOnlyUser("zone_ro", "zone-pw-5", schema); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("database:\n  dsn: \""+m.DSN("zone_ro", schema)+"\"\n  password_file: pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("zone-pw-5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	audit := func(out string, zones ...string) *report.Report {
		t.Helper()
		args := []string{"audit", "--config", cfg, "--format", "json", "--out", out}
		for _, z := range zones {
			args = append(args, "--zone", z)
		}
		r := csaudit(t, args...)
		if r.err != nil && r.code() != 0 {
			t.Fatalf("audit %v: %v\n%s", zones, r.err, r.stderr)
		}
		rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	whole := audit(filepath.Join(dir, "whole"))
	one := audit(filepath.Join(dir, "one"), "zone-1")
	two := audit(filepath.Join(dir, "two"), "00000000-0000-4000-8000-00000000zz02")

	for name, part := range map[string]string{"one": "zone-1", "two": "zone-two"} {
		snap, _, err := collectors.LoadSnapshot(filepath.Join(dir, name, pipeline.SnapshotFile))
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Meta.Zones) != 1 || len(snap.DB["data_center"]) != 1 {
			t.Fatalf("%s: meta.zones %v, %d zone rows", name, snap.Meta.Zones, len(snap.DB["data_center"]))
		}
		var zoneID string
		for id, row := range snap.DB["data_center"] {
			if row.Text("name") != part {
				t.Errorf("%s: zone %s kept", name, row.Text("name"))
			}
			zoneID = id
		}
		for _, table := range []string{"host", "vm_instance", "volumes"} {
			if len(snap.DB[table]) == 0 {
				t.Errorf("%s: no %s rows", name, table)
			}
			for id, row := range snap.DB[table] {
				if z := row.Text("data_center_id"); z != "" && z != zoneID {
					t.Errorf("%s: %s %s of zone %s kept", name, table, id, z)
				}
			}
		}
	}
	if one.Target.Zones != 1 || two.Target.Zones != 1 || one.Target.Hosts+two.Target.Hosts != whole.Target.Hosts ||
		one.Target.VMs+two.Target.VMs != whole.Target.VMs || one.Target.Hosts == 0 || two.Target.Hosts == 0 {
		t.Errorf("targets: one %+v two %+v whole %+v", one.Target, two.Target, whole.Target)
	}

	merged := filepath.Join(dir, "merged")
	r := csaudit(t, "merge", filepath.Join(dir, "one", "csaudit-report.json"), filepath.Join(dir, "two", "csaudit-report.json"),
		"--format", "json", "--out", merged)
	if r.err != nil {
		t.Fatalf("merge: %v\n%s", r.err, r.stderr)
	}
	mr, err := report.LoadJSON(filepath.Join(merged, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mr.Parts) != 2 || mr.Parts[0].SHA256 != one.Snapshot.SHA256 || mr.Parts[1].SHA256 != two.Snapshot.SHA256 {
		t.Errorf("parts %+v", mr.Parts)
	}
	if mr.Target.Hosts != whole.Target.Hosts || mr.Target.VMs != whole.Target.VMs || mr.Target.Zones != 2 {
		t.Errorf("merged target %+v, whole %+v", mr.Target, whole.Target)
	}
	if mr.Summary.Findings != len(mr.Findings) || len(mr.Checks) != len(whole.Checks) {
		t.Errorf("summary %d findings for %d; %d checks for %d", mr.Summary.Findings, len(mr.Findings), len(mr.Checks), len(whole.Checks))
	}
	ids := func(rep *report.Report) []string {
		var out []string
		for _, f := range rep.Findings {
			if f.Resource.Type == "vm" || f.Resource.Type == "host" {
				out = append(out, f.ID+" "+f.CheckID+" "+f.Resource.Name)
			}
		}
		sort.Strings(out)
		return out
	}
	if got, want := strings.Join(ids(mr), "\n"), strings.Join(ids(whole), "\n"); got != want || got == "" {
		t.Errorf("merged VM and host findings differ from the whole cloud's:\nmerged:\n%s\nwhole:\n%s", got, want)
	}

	if r := csaudit(t, "merge", filepath.Join(dir, "one", "csaudit-report.json"), filepath.Join(dir, "one", "csaudit-report.json")); r.code() != 2 || !strings.Contains(r.stderr+r.err.Error(), "disjoint") {
		t.Errorf("overlapping parts: exit %d, %v %s", r.code(), r.err, r.stderr)
	}
	if r := csaudit(t, "merge", filepath.Join(dir, "whole", "csaudit-report.json"), filepath.Join(dir, "one", "csaudit-report.json")); r.code() != 2 {
		t.Errorf("a whole-cloud part: exit %d", r.code())
	}
	if r := csaudit(t, "audit", "--config", cfg, "--zone", "nowhere", "--format", "json"); r.code() != 2 || !strings.Contains(r.err.Error(), "zone-two") {
		t.Errorf("unknown zone: exit %d, %v", r.code(), r.err)
	}
	if r := csaudit(t, "audit", "--lab", "--zone", "zone-1"); r.code() != 2 {
		t.Errorf("--zone with --lab: exit %d", r.code())
	}
}
