package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/remediate"
)

// cli runs csaudit and returns its output and exit status.
func cli(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	code := 0
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case err != nil:
		code = -1
	}
	if err != nil {
		errb.WriteString(err.Error())
	}
	return out.String() + errb.String(), code
}

// TestFixCLI drives fix plan, apply and undo through the command line against
// a real MariaDB (own schema, a SELECT-only audit account and the documented
// fix account) and a real libvirtd behind a real sshd: exit statuses 0 (dry
// run, applied, nothing to undo), 1 (refused) and 2 (error), and no secret in
// any output.
func TestFixCLI(t *testing.T) {
	m := testbed.SharedMariaDB(t)
	const schema = "fixcli"
	if err := m.LoadSchema(schema); err != nil {
		t.Fatal(err)
	}
	canary := testbed.NewCanary(2)
	if err := m.CreateReadOnlyUser("fixcli_ro", canary.Values[0], schema); err != nil {
		t.Fatal(err)
	}
	if err := m.Exec("", "CREATE USER 'fixcli_rw'@'127.0.0.1' IDENTIFIED BY '"+canary.Values[1]+"';\n"+
		"GRANT SELECT ON `"+schema+"`.* TO 'fixcli_rw'@'127.0.0.1';\n"+
		"GRANT UPDATE (state, host_id, power_state, power_state_update_time, update_count, update_time) ON `"+schema+"`.`vm_instance` TO 'fixcli_rw'@'127.0.0.1';"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	node := filepath.Join(dir, "node.xml")
	const running = 12
	if err := os.WriteFile(node, []byte(testbed.NodeXML([]testbed.TestDomain{{Name: "i-2-12-VM", UUID: "7a1d2a0e-0000-4b4b-9c9c-000000000012", State: 1}})), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := testbed.StartHost(testbed.HostConfig{Dir: filepath.Join(dir, "host"), Libvirt: &testbed.LibvirtConfig{}})
	if err != nil {
		if strings.Contains(err.Error(), testbed.ErrMissing.Error()) {
			testbed.Missing(t, err)
		}
		t.Fatal(err)
	}
	defer h.Stop()
	var sql strings.Builder
	sql.WriteString("SET SESSION sql_mode = ''; SET SESSION foreign_key_checks = 0;\n" +
		"INSERT INTO host (id, name, uuid, status, type, private_ip_address, data_center_id, version, dom0_memory, last_ping, resource_state, hypervisor_type, created) " +
		"VALUES (3, 'kvm-cli', 'host-cli-3', 'Up', 'Routing', '127.0.0.1', 1, '4.22.0.0', 0, 0, 'Enabled', 'KVM', UTC_TIMESTAMP());\n")
	for _, id := range []int{10, 11, running} {
		fmt.Fprintf(&sql, "INSERT INTO vm_instance (id, name, uuid, instance_name, state, guest_os_id, data_center_id, host_id, last_host_id, vnc_password, created, type, vm_type, "+
			"account_id, domain_id, service_offering_id, power_state, power_host, power_state_update_time, update_count, update_time) VALUES (%d, 'vm%d', "+
			"'7a1d2a0e-0000-4b4b-9c9c-%012d', 'i-2-%d-VM', 'Stopping', 1, 1, 3, 3, 'vnc', UTC_TIMESTAMP(), 'User', 'User', 2, 1, 1, 'PowerOn', 3, "+
			"UTC_TIMESTAMP() - INTERVAL 3 HOUR, 5, UTC_TIMESTAMP() - INTERVAL 2 HOUR);\n", id, id, id, id)
	}
	if err := m.Exec(schema, sql.String()); err != nil {
		t.Fatal(err)
	}
	roPass, rwPass := filepath.Join(dir, "ro.pass"), filepath.Join(dir, "rw.pass")
	for f, pw := range map[string]string{roPass: canary.Values[0], rwPass: canary.Values[1]} {
		if err := os.WriteFile(f, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`database:
  dsn: %q
  password_file: %s
  fix_dsn: %q
  fix_password_file: %s
ssh:
  user: root
  identity_files: [%s]
  known_hosts: %s
  use_agent: false
  addresses: {kvm-cli: %q}
libvirt:
  uri: %q
`, m.DSN("fixcli_ro", schema), roPass, m.DSN("fixcli_rw", schema), rwPass, h.ClientKeyFile, h.KnownHostsFile, h.Addr, "test://"+node)), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(dir, "plan.json")
	journal := filepath.Join(dir, "journal")
	var outputs []string
	step := func(want int, args ...string) string {
		t.Helper()
		out, code := cli(t, args...)
		outputs = append(outputs, out)
		if code != want {
			t.Fatalf("csaudit %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}

	out := step(0, "fix", "plan", "--config", cfg, "--out", plan)
	p, err := remediate.LoadPlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := os.ReadFile(plan)
	validate(t, "../../docs/schema/fixplan.schema.json", pb)
	if len(p.Fixes) != 2 || !strings.Contains(out, "2 fixes") {
		t.Fatalf("plan: %s", out)
	}
	for _, f := range p.Fixes {
		if f.Resource.ID == fmt.Sprint(running) {
			t.Fatalf("fix offered for the VM whose domain runs")
		}
	}
	id := p.Fixes[0].ID
	out = step(0, "fix", "apply", "--config", cfg, "--plan", plan, "--id", id, "--journal", journal)
	if !strings.Contains(out, "dry run") || strings.Contains(out, "journal:") {
		t.Errorf("dry run: %s", out)
	}
	out = step(0, "fix", "apply", "--config", cfg, "--plan", plan, "--id", id, "--journal", journal, "--yes")
	jid := regexp.MustCompile(`journal: (\S+)`).FindStringSubmatch(out)
	if jid == nil {
		t.Fatalf("no journal id: %s", out)
	}
	// Applied once, the same fix is refused: the row is no longer its before-image.
	out = step(1, "fix", "apply", "--config", cfg, "--plan", plan, "--id", id, "--journal", journal, "--yes")
	if !strings.Contains(out, "refused: vm_instance row") {
		t.Errorf("second apply: %s", out)
	}
	step(2, "fix", "apply", "--config", cfg, "--plan", plan, "--id", "fx-nosuchfix", "--journal", journal)
	out = step(0, "fix", "undo", "--config", cfg, "--journal", journal, jid[1])
	if !strings.Contains(out, "undid journal entry") {
		t.Errorf("undo: %s", out)
	}
	out = step(0, "fix", "undo", "--config", cfg, "--journal", journal, jid[1])
	if !strings.Contains(out, "already undone") {
		t.Errorf("second undo: %s", out)
	}
	// The finding says a fix exists, and checks show lists the fix types.
	out = step(0, "audit", "--config", cfg, "--format", "json")
	var rep struct {
		Findings []struct {
			CheckID     string `json:"check_id"`
			Remediation struct {
				FixID string `json:"fix_id"`
			} `json:"remediation"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	// The undone VM's update_time is fresh, so only the fix not applied is
	// still stuck, under the plan's id.
	var fixIDs []string
	for _, f := range rep.Findings {
		if f.CheckID == "CSA-STUCK-001" && f.Remediation.FixID != "" {
			fixIDs = append(fixIDs, f.Remediation.FixID)
		}
	}
	if len(fixIDs) != 1 || fixIDs[0] != p.Fixes[1].ID {
		t.Errorf("fix ids in the report %v, want [%s]", fixIDs, p.Fixes[1].ID)
	}
	out = step(0, "checks", "show", "CSA-STUCK-001")
	if !strings.Contains(out, "fixes: vm-stopping-to-stopped, vm-starting-to-stopped") {
		t.Errorf("checks show: %s", out)
	}
	b, _ := os.ReadFile(plan)
	for i, o := range append(outputs, string(b)) {
		canary.Check(t, fmt.Sprintf("output %d", i), []byte(o))
	}
	canary.CheckDir(t, journal)
}
