package database

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/evaltest"
	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/report"
)

// seedsCloud is a small cloud written by hand against CloudStack's schema
// (not by labgen): a stranded ISO and one on a live store, the default admin
// and an ordinary user holding API keys, an SSVM on a tenant network and a
// console proxy on the management network, unencrypted and encrypted volumes,
// the system VM key pair as CloudStack inserts it. %[1]s..%[4]s are canaries:
// admin key, admin secret, tenant key, private key.
const seedsCloud = `
SET SESSION FOREIGN_KEY_CHECKS = 0; -- network offerings and the like are not part of this cloud
INSERT INTO data_center (id, name, uuid, dns1, internal_dns1, networktype, allocation_state, is_local_storage_enabled, created) VALUES
  (1, 'z1', 'zone-1', '10.0.0.2', '10.0.0.2', 'Advanced', 'Enabled', 0, '2025-01-01');
INSERT INTO host_pod_ref (id, name, uuid, data_center_id, gateway, cidr_address, cidr_size, allocation_state) VALUES (1, 'p1', 'pod-1', 1, '10.1.0.1', '10.1.0.0', 24, 'Enabled');
INSERT INTO image_store (id, name, uuid, image_provider_name, protocol, url, data_center_id, scope, role, readonly, removed, created) VALUES
  (1, 'live-nfs', 'store-1', 'NFS', 'nfs', 'nfs://10.5.0.1/sec', 1, 'ZONE', 'Image', 0, NULL, '2025-01-01'),
  (2, 'draining-nfs', 'store-2', 'NFS', 'nfs', 'nfs://10.5.0.2/sec', 1, 'ZONE', 'Image', 1, NULL, '2025-01-01');
INSERT INTO vm_template (id, unique_name, name, uuid, public, featured, type, hvm, bits, format, created, account_id, guest_os_id, hypervisor_type, state) VALUES
  (500, 'iso-old', 'old-drivers.iso', 'iso-500', 1, 0, 'USER', 1, 64, 'ISO', '2025-01-01', 2, 1, 'None', 'Active'),
  (501, 'iso-new', 'installer.iso', 'iso-501', 1, 0, 'USER', 1, 64, 'ISO', '2025-01-01', 2, 1, 'None', 'Active');
INSERT INTO template_store_ref (id, store_id, template_id, created, download_pct, download_state, state, destroyed, store_role) VALUES
  (1, 2, 500, '2025-01-01', 100, 'DOWNLOADED', 'Ready', 0, 'Image'),
  (2, 1, 501, '2025-01-01', 100, 'DOWNLOADED', 'Ready', 0, 'Image');
INSERT INTO account (id, account_name, uuid, type, role_id, domain_id, state, created) VALUES
  (1, 'system', 'acct-1', 1, 1, 1, 'enabled', '2025-01-01'),
  (2, 'admin', 'acct-2', 1, 1, 1, 'enabled', '2025-01-01'),
  (7, 'tenant', 'acct-7', 0, 4, 1, 'enabled', '2025-01-01');
INSERT INTO user (id, uuid, username, password, account_id, state, api_key, secret_key, created) VALUES
  (2, 'user-2', 'admin', 'x', 2, 'enabled', '%[1]s', '%[2]s', '2025-01-01'),
  (9, 'user-9', 'tenant-bot', 'x', 7, 'enabled', '%[3]s', '%[2]s-t', '2025-01-01');
INSERT INTO disk_offering (id, name, uuid, disk_size, state, encrypt, created) VALUES
  (1, 'plain', 'do-1', 0, 'Active', 0, '2025-01-01'), (2, 'sealed', 'do-2', 0, 'Active', 1, '2025-01-01'), (3, 'ssvm', 'do-3', 0, 'Active', 0, '2025-01-01');
INSERT INTO service_offering (id, name, uuid, cpu, speed, ram_size, disk_offering_id, system_use, vm_type, state, created) VALUES
  (1, 'small', 'so-1', 1, 1000, 1024, 1, 0, NULL, 'Active', '2025-01-01'), (3, 'ssvm', 'so-3', 1, 500, 512, 3, 1, 'secondarystoragevm', 'Active', '2025-01-01');
INSERT INTO vm_instance (id, name, uuid, instance_name, state, guest_os_id, data_center_id, pod_id, vnc_password, created, type, vm_type, account_id, domain_id, service_offering_id, vm_template_id) VALUES
  (10, 'stranded', 'vm-10', 'i-7-10-VM', 'Running', 1, 1, 1, 'v', '2025-01-01', 'User', 'User', 7, 1, 1, 501),
  (11, 'fine', 'vm-11', 'i-7-11-VM', 'Stopped', 1, 1, 1, 'v', '2025-01-01', 'User', 'User', 7, 1, 1, 501),
  (20, 's-20-VM', 'vm-20', 's-20-VM', 'Running', 1, 1, 1, 'v', '2025-01-01', 'SecondaryStorageVm', 'SecondaryStorageVm', 1, 1, 3, 1),
  (21, 'v-21-VM', 'vm-21', 'v-21-VM', 'Running', 1, 1, 1, 'v', '2025-01-01', 'ConsoleProxy', 'ConsoleProxy', 1, 1, 3, 1);
INSERT INTO user_vm (id, display_name, iso_id) VALUES (10, 'stranded', 500), (11, 'fine', 501);
INSERT INTO secondary_storage_vm (id) VALUES (20);
INSERT INTO console_proxy (id) VALUES (21);
INSERT INTO networks (id, name, uuid, traffic_type, broadcast_domain_type, network_offering_id, data_center_id, guru_name, state, related, domain_id, account_id, guest_type, created) VALUES
  (1, 'mgmt', 'net-1', 'Management', 'Native', 2, 1, 'PodBasedNetworkGuru', 'Setup', 1, 1, 1, NULL, '2025-01-01'),
  (2, 'tenant-net', 'net-2', 'Guest', 'Vlan', 7, 1, 'ExternalGuestNetworkGuru', 'Implemented', 2, 1, 7, 'Isolated', '2025-01-01');
INSERT INTO nics (id, uuid, instance_id, network_id, state, strategy, default_nic, vm_type, created) VALUES
  (1, 'nic-1', 20, 1, 'Reserved', 'Start', 0, 'SecondaryStorageVm', '2025-01-01'),
  (2, 'nic-2', 20, 2, 'Reserved', 'Start', 0, 'SecondaryStorageVm', '2025-01-01'),
  (3, 'nic-3', 21, 1, 'Reserved', 'Start', 0, 'ConsoleProxy', '2025-01-01');
INSERT INTO volumes (id, uuid, name, account_id, domain_id, instance_id, size, data_center_id, volume_type, disk_offering_id, state, created) VALUES
  (1, 'vol-1', 'ROOT-10', 7, 1, 10, 1, 1, 'ROOT', 1, 'Ready', '2025-01-01'),
  (2, 'vol-2', 'ROOT-11', 7, 1, 11, 1, 1, 'ROOT', 1, 'Ready', '2025-01-01'),
  (3, 'vol-3', 'DATA-11', 7, 1, 11, 1, 1, 'DATADISK', 2, 'Ready', '2025-01-01'),
  (4, 'vol-4', 'ROOT-20', 1, 1, 20, 1, 1, 'ROOT', 3, 'Ready', '2025-01-01');
INSERT INTO configuration (category, instance, component, name, value, description) VALUES
  ('Hidden', 'DEFAULT', 'management-server', 'ssh.privatekey', '%[4]s', ''), ('Hidden', 'DEFAULT', 'management-server', 'ssh.publickey', 'ssh-rsa %[4]s', '');
`

// TestSeedRulesOnHandWrittenCloud: issue #19's acceptance on a database
// labgen did not write, through the read-only collector and the policies.
func TestSeedRulesOnHandWrittenCloud(t *testing.T) {
	m := testbed.SharedMariaDB(t)
	if err := m.LoadSchema("seeds"); err != nil {
		t.Fatal(err)
	}
	c := testbed.NewCanary(4)
	if err := m.Exec("seeds", fmt.Sprintf(seedsCloud, c.Values[0], c.Values[1], c.Values[2], c.Values[3])); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateReadOnlyUser("seedaudit", auditPW, "seeds"); err != nil {
		t.Fatal(err)
	}
	r := &collectors.Runner{
		Collectors: []collectors.Collector{NewAt(config(t, m, "seedaudit", auditPW, "seeds"), labgen.DefaultNow)},
		Selected:   map[string]bool{collectors.NameDatabase: true},
		Now:        func() time.Time { return labgen.DefaultNow },
	}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	c.Check(t, "snapshot", b)
	if u := s.DB["user"]["2"].Map(); u["has_api_key"] != true {
		t.Fatalf("the admin's key was not seen: %v", u)
	}

	checks, findings := evaltest.Evaluate(t, b)
	for _, ch := range checks {
		switch ch.ID {
		case "CSA-STOR-004", "CSA-ACCT-001", "CSA-SYSVM-005", "CSA-STOR-005":
			if ch.Status != report.Fail {
				t.Errorf("%s: %s %s", ch.ID, ch.Status, ch.StatusReason)
			}
		}
	}
	rb, _ := json.Marshal(findings)
	c.Check(t, "findings", rb)

	var got []string
	for _, f := range findings {
		switch f.CheckID {
		case "CSA-STOR-004", "CSA-ACCT-001", "CSA-SYSVM-005", "CSA-STOR-005":
			got = append(got, fmt.Sprintf("%s %s %s:%s", f.CheckID, f.Severity, f.Resource.Type, f.Resource.Name))
			if f.CheckID == "CSA-STOR-005" && (f.Evidence["unencrypted"] != json.Number("2") && f.Evidence["unencrypted"] != 2.0 && f.Evidence["unencrypted"] != 2) {
				t.Errorf("unencrypted volumes: %v (want 2 of 3; the SSVM root disk is not counted)", f.Evidence)
			}
		}
	}
	sort.Strings(got)
	want := []string{
		"CSA-ACCT-001 medium user:admin",
		"CSA-STOR-004 medium vm:i-7-10-VM",
		"CSA-STOR-005 low zone:z1",
		"CSA-SYSVM-005 high system_vm:s-20-VM",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
