package ipmi

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/evaltest"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/report"
)

// stage1 stands in for the database collector: it contributes the CloudStack
// rows (host, oobm, Host-HA settings) that the real one reads. The BMCs behind
// the rows are real ipmi_sim processes. Only the test imports policies; the
// collector and the checks meet through the snapshot JSON, as in production.
type stage1 struct {
	db  map[string]collectors.Table
	now time.Time
}

func (s stage1) Name() string { return collectors.NameDatabase }
func (s stage1) Stage() int   { return collectors.StageInventory }
func (s stage1) Collect(context.Context, *collectors.Inventory) (*collectors.Part, error) {
	cov := map[string]*collectors.Coverage{}
	for t := range s.db {
		cov["db."+t] = &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{t}}
	}
	cov["settings"] = &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true}
	def := "150000"
	settings := map[string]collectors.Setting{"cluster.heartbeat.threshold": {Default: &def}}
	return &collectors.Part{DB: s.db, DBNow: &s.now, Coverage: cov, Settings: settings}, nil
}

func hostRow(id int, name string) collectors.Row {
	return collectors.RowOf(map[string]any{
		"id": float64(id), "uuid": "uuid-" + name, "name": name, "type": "Routing", "status": "Up",
		"resource_state": "Enabled", "removed": nil, "cluster_id": float64(1), "data_center_id": float64(1),
		"hypervisor_type": "KVM", "private_ip_address": fmt.Sprintf("10.0.0.%d", id), "private_netmask": "255.255.255.0",
		"mgmt_server_id": float64(1001),
	})
}

func oobmRow(id, hostID int, addr, power string) collectors.Row {
	ip, port, _ := net.SplitHostPort(addr)
	return collectors.RowOf(map[string]any{
		"id": float64(id), "host_id": float64(hostID), "enabled": true, "driver": "ipmitool", "address": ip, "port": port,
		"power_state": power, "update_time": "2026-11-22T09:00:00Z", "mgmt_server_id": float64(1001), "update_count": float64(2),
	})
}

func TestAcceptanceFindingsFromRealBMCs(t *testing.T) {
	needSims(t)
	silent, err := testbed.StartSilentPeer()
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	hung, err := testbed.StartPingOnlyPeer()
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	disabledRelay, err := testbed.StartUDPRelay(healthy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer disabledRelay.Close()
	closedPort, err := testbed.FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	closed := net.JoinHostPort("127.0.0.1", fmt.Sprint(closedPort))
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

	db := map[string]collectors.Table{
		"host": {}, "oobm": {}, "ha_config": {}, "vm_instance": {},
		"cluster_details": {"1": collectors.RowOf(map[string]any{"id": float64(1), "cluster_id": float64(1), "name": "resourceHAEnabled", "value": "true"})},
		"mshost":          {"1": collectors.RowOf(map[string]any{"id": float64(1), "msid": float64(1001), "state": "Up", "last_update": "2026-11-22T09:59:50Z", "removed": nil})},
	}
	bmcs := map[string]struct {
		addr, power string
	}{
		"healthy":  {healthy.Addr(), "On"},
		"closed":   {closed, "On"},
		"silent":   {silent.Addr(), "On"},
		"wrongpw":  {otherpw.Addr(), "On"},
		"mismatch": {poweroff.Addr(), "On"},
		"nooobm":   {},
		"hung":     {hung.Addr(), "On"},
		"disabled": {disabledRelay.Addr(), "Disabled"},
	}
	id := 0
	for _, name := range []string{"healthy", "closed", "silent", "wrongpw", "mismatch", "nooobm", "hung", "disabled"} {
		id++
		db["host"][fmt.Sprint(id)] = hostRow(id, name)
		if b := bmcs[name]; b.addr != "" {
			row := oobmRow(100+id, id, b.addr, b.power)
			if name == "disabled" {
				row = collectors.RowOf(map[string]any{
					"id": float64(100 + id), "host_id": float64(id), "enabled": false, "driver": "ipmitool",
					"address": row.Get("address"), "port": row.Get("port"), "power_state": "Disabled",
					"update_time": "2026-11-22T09:00:00Z", "mgmt_server_id": nil, "update_count": float64(2),
				})
			}
			db["oobm"][fmt.Sprint(100+id)] = row
		}
	}

	const timeout = time.Second
	cfg := &collectors.Config{IPMI: &collectors.IPMIConfig{
		Enabled: true, Sessions: true, Username: "admin", Password: canary, CipherSuite: intp(3),
		Timeout: collectors.Duration(timeout),
	}}
	r := &collectors.Runner{
		Collectors: []collectors.Collector{stage1{db: db, now: now}, New(cfg)},
		Selected:   map[string]bool{collectors.NameDatabase: true, collectors.NameIPMI: true},
		Now:        func() time.Time { return now },
	}
	start := time.Now()
	snap, err := r.Run(context.Background())
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if elapsed > timeout+timeout*3/4 {
		t.Errorf("collection took %s; dead BMCs may cost the %s timeout once", elapsed, timeout)
	}
	b, err := snap.Encode()
	if err != nil {
		t.Fatal(err)
	}

	checks, findings := evaltest.Evaluate(t, b)

	got := map[string][]string{} // host name -> check ids
	for _, f := range findings {
		if strings.HasPrefix(f.CheckID, "CSA-OOBM-") {
			got[f.Resource.Name] = append(got[f.Resource.Name], f.CheckID+":"+string(f.Severity))
		}
		if f.Resource.Name == "healthy" && f.Severity.Rank() <= report.Medium.Rank() {
			t.Errorf("healthy BMC has a %s finding: %s %s", f.Severity, f.CheckID, f.Message)
		}
	}
	want := map[string]string{
		"closed":   "CSA-OOBM-001:high", // unreachable, Host-HA cluster
		"silent":   "CSA-OOBM-001:high",
		"wrongpw":  "CSA-OOBM-002:high",
		"mismatch": "CSA-OOBM-004:medium",
		"nooobm":   "CSA-OOBM-008:high",
		"hung":     "CSA-OOBM-001:high", // answers the ping, not IPMI
		"disabled": "CSA-OOBM-008:high", // Host-HA cluster: not CSA-OOBM-012 as well
	}
	for host, w := range want {
		if !contains(got[host], w) {
			t.Errorf("%s: want finding %s, got %v", host, w, got[host])
		}
	}
	if h := snap.OOBM["uuid-healthy"]; h == nil || !isTrue(h.Reachable) || h.Auth != authOK || h.Power != "on" {
		t.Errorf("healthy BMC facts: %+v", h)
	}
	if contains(got["disabled"], "CSA-OOBM-012:low") {
		t.Errorf("a disabled row of a Host-HA host is reported twice: %v", got["disabled"])
	}
	if open, _ := disabledRelay.Counts(); open != 0 {
		t.Errorf("a disabled oobm row was logged into (%d Open Session)", open)
	}
	if h := snap.OOBM["uuid-hung"]; h == nil || h.Auth != authNotTried || hung.Sources() != 1 {
		t.Errorf("ping-only BMC: %+v, contacted from %d sockets", h, hung.Sources())
	}
	for _, c := range checks {
		if strings.HasPrefix(c.ID, "CSA-OOBM-") && c.Status == report.Error {
			t.Errorf("%s is in error: %s", c.ID, c.StatusReason)
		}
	}

	// No password in any output: the snapshot, the findings, the collector errors.
	fb, _ := json.Marshal(findings)
	cb, _ := json.Marshal(checks)
	for _, out := range [][]byte{b, fb, cb} {
		for _, pw := range []string{canary, "Rotated-pw-2026"} {
			if strings.Contains(string(out), pw) {
				t.Fatalf("password %q leaked into an output", pw)
			}
		}
	}
	t.Logf("collection with 7 BMCs (1 closed, 1 silent, 1 answering only the ping) took %s; findings: %v", elapsed, got)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
