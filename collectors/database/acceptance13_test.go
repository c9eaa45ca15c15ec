package database

import (
	"context"
	"testing"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/evaltest"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/report"
)

// issue13Rows is a small cloud written by hand against CloudStack 4.22's
// schema (not by labgen): each situation of issue #13's acceptance list next
// to its healthy twin. Times are relative to the server clock, as CloudStack
// writes them. Foreign keys are off so that only the rows that matter exist.
const issue13Rows = `SET FOREIGN_KEY_CHECKS=0;
INSERT INTO data_center (id, uuid, name, dns1, internal_dns1, networktype, allocation_state, removed) VALUES
 (1, 'z1', 'zone-ha-on', '8.8.8.8', '10.0.0.2', 'Advanced', 'Enabled', NULL),
 (2, 'z2', 'zone-ha-off', '8.8.8.8', '10.0.0.2', 'Advanced', 'Enabled', NULL);
INSERT INTO data_center_details (dc_id, name, value, display) VALUES (2, 'vm.ha.enabled', 'false', 1);
INSERT INTO host_pod_ref (id, uuid, name, data_center_id, gateway, cidr_address, cidr_size) VALUES
 (1, 'p1', 'pod-1', 1, '10.1.0.1', '10.1.0.0', 24), (2, 'p2', 'pod-2', 2, '10.2.0.1', '10.2.0.0', 24);
INSERT INTO cluster (id, uuid, name, pod_id, data_center_id, hypervisor_type, cluster_type, allocation_state, arch) VALUES
 (1, 'c1', 'kvm-1', 1, 1, 'KVM', 'CloudManaged', 'Enabled', 'x86_64'),
 (2, 'c2', 'kvm-2', 2, 2, 'KVM', 'CloudManaged', 'Enabled', 'x86_64'),
 (3, 'c3', 'xen-overcommitted', 1, 1, 'XenServer', 'CloudManaged', 'Enabled', 'x86_64'),
 (4, 'c4', 'xen-cpu-only', 1, 1, 'XenServer', 'CloudManaged', 'Enabled', 'x86_64');
INSERT INTO cluster_details (cluster_id, name, value) VALUES
 (3, 'memoryOvercommitRatio', '6'), (4, 'cpuOvercommitRatio', '8');
INSERT INTO mshost (id, msid, runid, name, uuid, state, version, service_ip, service_port, last_update, removed, alert_count) VALUES
 (1, 1001, 1, 'ms-1', 'ms1', 'Up', '4.22.0.0', '10.0.0.11', 9090, UTC_TIMESTAMP(), NULL, 0);
INSERT INTO host (id, uuid, name, status, type, private_ip_address, data_center_id, pod_id, cluster_id, hypervisor_type, version,
  dom0_memory, last_ping, resource_state, mgmt_server_id, ram, cpus, speed, removed) VALUES
 (1, 'h-up', 'kvm-up', 'Up', 'Routing', '10.1.0.11', 1, 1, 1, 'KVM', '4.22.0.0', 0, UNIX_TIMESTAMP() * 1000 >> 10, 'Enabled', 1001, 68719476736, 16, 2000, NULL),
 (2, 'h-conn', 'kvm-connecting', 'Connecting', 'Routing', '10.1.0.12', 1, 1, 1, 'KVM', '4.22.0.0', 0, (UNIX_TIMESTAMP() - 2700) * 1000 >> 10, 'Enabled', 1001, 68719476736, 16, 2000, NULL),
 (3, 'h-dis', 'kvm-disabled-alert', 'Alert', 'Routing', '10.1.0.13', 1, 1, 1, 'KVM', '4.22.0.0', 0, (UNIX_TIMESTAMP() - 2700) * 1000 >> 10, 'Disabled', NULL, 68719476736, 16, 2000, NULL),
 (4, 'h-dis-empty', 'kvm-disabled-empty', 'Alert', 'Routing', '10.1.0.14', 1, 1, 1, 'KVM', '4.22.0.0', 0, (UNIX_TIMESTAMP() - 2700) * 1000 >> 10, 'Disabled', NULL, 68719476736, 16, 2000, NULL),
 (5, 'h-z2a', 'kvm-z2-a', 'Up', 'Routing', '10.2.0.11', 2, 2, 2, 'KVM', '4.22.0.0', 0, UNIX_TIMESTAMP() * 1000 >> 10, 'Enabled', 1001, 68719476736, 16, 2000, NULL),
 (6, 'h-z2b', 'kvm-z2-b', 'Up', 'Routing', '10.2.0.12', 2, 2, 2, 'KVM', '4.22.0.0', 0, UNIX_TIMESTAMP() * 1000 >> 10, 'Enabled', 1001, 68719476736, 16, 2000, NULL),
 (7, 'h-up2', 'kvm-up-2', 'Up', 'Routing', '10.1.0.15', 1, 1, 1, 'KVM', '4.22.0.0', 0, UNIX_TIMESTAMP() * 1000 >> 10, 'Enabled', 1001, 68719476736, 16, 2000, NULL);
INSERT INTO service_offering (id, uuid, name, cpu, speed, ram_size, ha_enabled) VALUES (1, 'so1', 'small-ha', 1, 1000, 1024, 1);
INSERT INTO vm_instance (id, uuid, name, instance_name, state, guest_os_id, data_center_id, pod_id, host_id, last_host_id, vnc_password, created,
  type, vm_type, account_id, domain_id, service_offering_id, ha_enabled, power_state, power_host, power_state_update_time, update_time, update_count) VALUES
 (10, 'vm-drift', 'drift', 'i-2-10-VM', 'Running', 1, 1, 1, 1, 1, 'x', UTC_TIMESTAMP() - INTERVAL 9 DAY, 'User', 'User', 2, 1, 1, 0,
  'PowerOff', 1, UTC_TIMESTAMP() - INTERVAL 30 SECOND, UTC_TIMESTAMP() - INTERVAL 3 HOUR, 5),
 (11, 'vm-normal', 'normal', 'i-2-11-VM', 'Running', 1, 1, 1, 1, 1, 'x', UTC_TIMESTAMP() - INTERVAL 9 DAY, 'User', 'User', 2, 1, 1, 0,
  'PowerOn', 1, UTC_TIMESTAMP() - INTERVAL 30 SECOND, UTC_TIMESTAMP() - INTERVAL 3 HOUR, 5),
 (12, 'vm-on-disabled', 'on-disabled', 'i-2-12-VM', 'Running', 1, 1, 1, 3, 3, 'x', UTC_TIMESTAMP() - INTERVAL 9 DAY, 'User', 'User', 2, 1, 1, 0,
  'PowerOn', 3, UTC_TIMESTAMP() - INTERVAL 50 MINUTE, UTC_TIMESTAMP() - INTERVAL 3 DAY, 5),
 (13, 'vm-ha-z2', 'ha-z2', 'i-2-13-VM', 'Running', 1, 2, 2, 5, 5, 'x', UTC_TIMESTAMP() - INTERVAL 9 DAY, 'User', 'User', 2, 1, 1, 1,
  'PowerOn', 5, UTC_TIMESTAMP() - INTERVAL 30 SECOND, UTC_TIMESTAMP() - INTERVAL 3 DAY, 5),
 (14, 'vm-ha-z1', 'ha-z1', 'i-2-14-VM', 'Running', 1, 1, 1, 1, 1, 'x', UTC_TIMESTAMP() - INTERVAL 9 DAY, 'User', 'User', 2, 1, 1, 1,
  'PowerOn', 1, UTC_TIMESTAMP() - INTERVAL 30 SECOND, UTC_TIMESTAMP() - INTERVAL 3 DAY, 5);
INSERT INTO snapshots (id, uuid, name, data_center_id, account_id, domain_id, volume_id, disk_offering_id, status, snapshot_type, type_description, size,
  created, hypervisor_type, location_type) VALUES
 (1, 'snap-stuck', 'stuck', 1, 2, 1, 1, 1, 'BackingUp', 0, 'MANUAL', 1073741824, UTC_TIMESTAMP() - INTERVAL 3 HOUR, 'KVM', 'PRIMARY'),
 (2, 'snap-done', 'done', 1, 2, 1, 1, 1, 'BackedUp', 0, 'MANUAL', 1073741824, UTC_TIMESTAMP() - INTERVAL 3 HOUR, 'KVM', 'PRIMARY');
`

// TestIssue13Acceptance: every situation is found at the rubric's severity on
// the resource at fault, and the healthy twins stay quiet.
func TestIssue13Acceptance(t *testing.T) {
	m := testbed.SharedMariaDB(t)
	if err := m.LoadSchema("acc13"); err != nil {
		t.Fatal(err)
	}
	if err := m.Exec("acc13", issue13Rows); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateReadOnlyUser("acc13ro", auditPW, "acc13"); err != nil {
		t.Fatal(err)
	}
	cfg := config(t, m, "acc13ro", auditPW, "acc13")
	// The real clock: the rows are relative to the server's.
	r := &collectors.Runner{Collectors: []collectors.Collector{New(cfg)}, Selected: cfg.EnabledCollectors()}
	snap, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range snap.CollectorErrors {
		t.Errorf("collector error: %+v", e)
	}
	b, err := snap.Encode()
	if err != nil {
		t.Fatal(err)
	}
	checks, findings := evaltest.Evaluate(t, b)
	got := map[string]report.Severity{}
	for _, f := range findings {
		name := f.Resource.Name
		if name == "" {
			name = f.Resource.UUID
		}
		got[f.CheckID+"|"+name] = f.Severity
	}
	for _, w := range []struct {
		check, resource string
		severity        report.Severity
	}{
		{"CSA-DRIFT-001", "i-2-10-VM", report.Medium},     // PowerOff for 3 h behind a 30 s old report
		{"CSA-HOST-001", "kvm-connecting", report.Medium}, // Connecting for 45 minutes, no VMs
		{"CSA-HOST-001", "kvm-disabled-alert", report.High},
		{"CSA-HOST-001", "kvm-disabled-empty", report.Info},
		{"CSA-HA-007", "zone-ha-off", report.High},
		{"CSA-SET-002", "xen-overcommitted", report.Medium},
		{"CSA-STUCK-004", "stuck", report.Medium},
	} {
		if sev, ok := got[w.check+"|"+w.resource]; !ok {
			t.Errorf("no %s finding on %s", w.check, w.resource)
		} else if sev != w.severity {
			t.Errorf("%s on %s is %s, want %s", w.check, w.resource, sev, w.severity)
		}
	}
	// Healthy twins: a normal Running VM (an HA one too), a zone with VM-HA on,
	// a XenServer cluster overcommitting CPU only, a backed-up snapshot, an Up
	// host.
	for _, q := range []struct{ check, resource string }{
		{"CSA-DRIFT-001", "i-2-11-VM"}, {"CSA-DRIFT-001", "i-2-14-VM"}, {"CSA-HA-007", "zone-ha-on"},
		{"CSA-SET-002", "xen-cpu-only"}, {"CSA-STUCK-004", "done"}, {"CSA-HOST-001", "kvm-up"},
	} {
		if sev, ok := got[q.check+"|"+q.resource]; ok {
			t.Errorf("healthy %s got %s (%s)", q.resource, q.check, sev)
		}
	}
	if t.Failed() {
		for _, tb := range []string{"vm_instance", "host", "cluster", "data_center", "snapshots"} {
			t.Logf("%s: %d rows", tb, count(t, m, "acc13", "SELECT COUNT(*) FROM "+tb))
		}
		for _, c := range checks {
			if c.Status == report.Error {
				t.Logf("%s error: %s", c.ID, c.StatusReason)
			}
		}
		for _, f := range findings {
			t.Logf("%s %s %s: %s", f.CheckID, f.Severity, f.Resource.Name, f.Message)
		}
	}
}
