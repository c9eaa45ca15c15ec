package main

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"database/sql"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/report"
)

type hostRow struct{ id, name, uuid string }

// TestAuditAgainstRealPeers is the whole pipeline through the CLI: the database
// collector reads a generated lab from a real MariaDB with a SELECT-only
// account; the hosts and libvirt collectors reach a real sshd and libvirtd (the
// test driver) standing in for one of its KVM hosts; a second host presents a
// changed key and the rest are unreachable; the checks then file findings on
// the right resources and no secret from the host leaks.
func TestAuditAgainstRealPeers(t *testing.T) {
	m := testbed.SharedMariaDB(t)
	const schema = "cloud" // loaded by SharedMariaDB
	var lab bytes.Buffer
	if err := labgen.Write(&lab, labgen.Options{Seed: 11, Hosts: 6, VMs: 20}); err != nil {
		t.Fatal(err)
	}
	if err := m.Exec(schema, lab.String()); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateReadOnlyUser("e2e_ro", "e2e-pw-Q7", schema); err != nil {
		t.Fatal(err)
	}
	db, err := m.Root(schema)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kvm := queryHosts(t, db)
	target, changed := kvm[0], kvm[1]

	// Two user VMs on the audited host: A Running in the database but not in
	// libvirt; B Stopped in the database but running in libvirt.
	var vmA, vmB, uuidB string
	rows, err := db.Query("SELECT CAST(id AS CHAR), uuid FROM vm_instance WHERE type='User' AND removed IS NULL ORDER BY id LIMIT 2")
	if err != nil {
		t.Fatal(err)
	}
	var ids, uuids []string
	for rows.Next() {
		var id, u string
		if err := rows.Scan(&id, &u); err != nil {
			t.Fatal(err)
		}
		ids, uuids = append(ids, id), append(uuids, u)
	}
	rows.Close()
	vmA, vmB, uuidB = ids[0], ids[1], uuids[1]
	if err := m.Exec(schema, "DELETE FROM vm_work_job; DELETE FROM op_ha_work;\n"+
		"UPDATE vm_instance SET state='Running', host_id="+target.id+", power_host="+target.id+", power_state='PowerOn' WHERE id="+vmA+";\n"+
		"UPDATE vm_instance SET state='Stopped', host_id=NULL, last_host_id="+target.id+", power_host="+target.id+", power_state='PowerOff' WHERE id="+vmB+";\n"+
		// Nothing else runs on the audited host, so what libvirt shows is exactly this test's doing.
		"UPDATE vm_instance SET host_id=NULL, last_host_id=NULL, power_host=NULL WHERE host_id="+target.id+" AND id<>"+vmA+";"); err != nil {
		t.Fatal(err)
	}
	nameOf := func(id string) string {
		var n string
		if err := db.QueryRow("SELECT instance_name FROM vm_instance WHERE id=" + id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	nameA, nameB := nameOf(vmA), nameOf(vmB)

	canary := testbed.NewCanary(1)
	dir := t.TempDir()
	node := filepath.Join(dir, "node.xml")
	rogue := "i-9-999-VM"
	if err := os.WriteFile(node, []byte(testbed.NodeXML([]testbed.TestDomain{
		{Name: nameB, UUID: uuidB, State: 1},
		{Name: rogue, UUID: "6f0d2a0e-9999-4a4a-9a9a-000000000999", State: 1},
	})), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := testbed.StartHost(testbed.HostConfig{
		Dir:     filepath.Join(dir, "host"),
		Libvirt: &testbed.LibvirtConfig{ListenTCP: true},
		Files: map[string]testbed.File{
			"/etc/cloudstack/agent/agent.properties": {Mode: 0o666, Data: "host=127.0.0.1\nport=8250\nhypervisor.type=kvm\nkeystore.passphrase=" + canary.Values[0] + "\n"},
			"/root/.ssh/id_rsa.cloud":                {Mode: 0o644, Data: "-----BEGIN OPENSSH PRIVATE KEY-----\n" + canary.Values[0] + "\n"},
		},
	})
	if err != nil {
		if strings.Contains(err.Error(), testbed.ErrMissing.Error()) {
			testbed.Missing(t, err)
		}
		t.Fatal(err)
	}
	defer h.Stop()

	// The "changed" host is a second real sshd whose key differs from the one
	// known_hosts pins for its address.
	h2, err := testbed.StartHost(testbed.HostConfig{Dir: filepath.Join(dir, "host2"), Listen: "127.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Stop()
	changedAddr := h2.Addr
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	kh, err := os.ReadFile(h.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	kh = append(kh, []byte(knownhosts.Line([]string{changedAddr}, wrong)+"\n")...)
	khFile := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(khFile, kh, 0o600); err != nil {
		t.Fatal(err)
	}
	dead, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addresses := "    " + quoteYAML(target.name) + ": \"" + h.Addr + "\"\n    " + quoteYAML(changed.name) + ": \"" + changedAddr + "\"\n"
	for _, other := range kvm[2:] {
		addresses += "    " + quoteYAML(other.name) + ": \"127.0.0.1:" + strconv.Itoa(dead) + "\"\n"
	}
	cfg := filepath.Join(dir, "config.yaml")
	body := "database:\n  dsn: \"" + m.DSN("e2e_ro", schema) + "\"\n" +
		"ssh:\n  user: root\n  identity_files: [\"" + h.ClientKeyFile + "\"]\n  known_hosts: \"" + khFile + "\"\n  use_agent: false\n" +
		"  connect_timeout: 3s\n  command_timeout: 20s\n  addresses:\n" + addresses +
		"libvirt:\n  uri: \"test://" + node + "\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	// The password comes from the environment, as documented.
	t.Setenv("CSAUDIT_DB_PASSWORD", "e2e-pw-Q7")

	out := filepath.Join(dir, "out")
	r := csaudit(t, "audit", "--config", cfg, "--format", "json,table", "--out", out)
	if r.err != nil && r.code() != 0 {
		t.Fatalf("audit: %v\n%s", r.err, r.stderr)
	}
	rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}

	type want struct {
		check, resource string
		atLeast         report.Severity
	}
	for _, w := range []want{
		{"CSA-HOST-004", target.name, report.Medium}, // world-writable agent.properties
		{"CSA-HOST-002", target.name, report.Medium}, // id_rsa.cloud 0644
		{"CSA-HOST-005", target.name, report.Medium}, // libvirt TCP configured without auth
		{"CSA-DRIFT-002", nameA, report.Medium},      // Running in the DB, absent from libvirt
		{"CSA-DRIFT-002", nameB, report.High},        // Stopped in the DB, running in libvirt
		{"CSA-DRIFT-002", rogue, report.Medium},      // a domain CloudStack does not know
	} {
		var got *report.Finding
		for i, f := range rep.Findings {
			if f.CheckID == w.check && (f.Resource.Name == w.resource || strings.Contains(f.Message, w.resource)) {
				got = &rep.Findings[i]
				break
			}
		}
		if got == nil {
			t.Errorf("no %s finding on %s", w.check, w.resource)
			continue
		}
		if got.Severity.Rank() > w.atLeast.Rank() {
			t.Errorf("%s on %s is %s, want at least %s", w.check, w.resource, got.Severity, w.atLeast)
		}
	}

	errs := map[string]string{}
	for _, e := range rep.CollectorErrors {
		errs[e.Target] = e.Error
	}
	if e := errs[changed.name]; !strings.Contains(e, "does not match known_hosts") {
		t.Errorf("changed host key: collector error %q", e)
	}
	for _, o := range kvm[2:] {
		if errs[o.name] == "" {
			t.Errorf("unreachable host %s has no collector error", o.name)
		}
	}

	gz, err := os.ReadFile(filepath.Join(out, SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range append([]hostRow{changed}, kvm[2:]...) {
		if bytes.Contains(snap, []byte(`"`+o.uuid+`": {`)) {
			t.Errorf("facts recorded for %s, which failed", o.name)
		}
	}
	canary.CheckDir(t, out)
	canary.Check(t, "stdout", []byte(r.stdout))
	canary.Check(t, "stderr", []byte(r.stderr))
}

func TestMain(m *testing.M) {
	code := m.Run()
	testbed.StopSharedMariaDB()
	os.Exit(code)
}

func queryHosts(t *testing.T, db *sql.DB) []hostRow {
	t.Helper()
	rows, err := db.Query("SELECT CAST(id AS CHAR), name, uuid FROM host WHERE type='Routing' AND hypervisor_type='KVM' AND status='Up' AND removed IS NULL ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []hostRow
	for rows.Next() {
		var h hostRow
		if err := rows.Scan(&h.id, &h.name, &h.uuid); err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	if len(out) < 3 {
		t.Fatalf("the lab has %d Up KVM hosts, want 3", len(out))
	}
	return out
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func quoteYAML(s string) string { return strconv.Quote(s) }
