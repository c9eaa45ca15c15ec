package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/fixtures/hostrender"
	"github.com/csaudit/csaudit/fixtures/labgen"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/pipeline"
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

	_, snap, err := collectors.LoadSnapshot(filepath.Join(out, pipeline.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range append([]hostRow{changed}, kvm[2:]...) {
		if bytes.Contains(snap, []byte(`"`+o.uuid+`": {`)) {
			t.Errorf("facts recorded for %s, which failed", o.name)
		}
	}
	canary.CheckDir(t, out)
	sameReportFromSavedSnapshot(t, out)
	canary.Check(t, "stdout", []byte(r.stdout))
	canary.Check(t, "stderr", []byte(r.stderr))

	// `csaudit collect` alone records the host's agent state, firewall,
	// listeners, MTU, file modes and domains, and nothing for the others.
	snapFile := filepath.Join(dir, "collected.json")
	c := csaudit(t, "collect", "--config", cfg, "-o", snapFile)
	if c.err != nil {
		t.Fatalf("collect: %v\n%s", c.err, c.stderr)
	}
	s, raw, err := collectors.LoadSnapshot(snapFile)
	if err != nil {
		t.Fatal(err)
	}
	checkCollectedHost(t, s, target, h, []string{nameB, rogue})
	for _, o := range append([]hostRow{changed}, kvm[2:]...) {
		if s.Hosts[o.uuid] != nil {
			t.Errorf("collect: facts recorded for %s, which failed", o.name)
		}
	}
	canary.Check(t, "collected snapshot", raw)
}

// checkCollectedHost asserts what the acceptance names for the
// audited host: agent state, firewall, listeners, MTU, file modes, domains.
func checkCollectedHost(t *testing.T, s *collectors.Snapshot, target hostRow, h *testbed.Host, running []string) {
	t.Helper()
	sshAddr := h.Addr
	hf := s.Hosts[target.uuid]
	if hf == nil {
		t.Fatalf("collect: no facts for %s; errors %+v", target.name, s.CollectorErrors)
	}
	// Derived from this machine's init (systemd or not, a chroot), then strict.
	if want := h.AgentState(); hf.Agent == nil || hf.Agent.State != want {
		t.Errorf("agent = %+v, want state %q (this machine: %s)", hf.Agent, want, h.Init())
	}
	if hf.Firewall == nil || len(hf.Firewall.Ports) != 4 || hf.Firewall.Ports["16509"].Verdict == "" || hf.Firewall.Backend == "" {
		t.Errorf("firewall = %+v", hf.Firewall)
	}
	// The test host shares this machine's network namespace (libvirtd is
	// configured for TCP but started without --listen): its sshd is the
	// listener to find.
	sshd := false
	if hf.Listeners != nil {
		for _, l := range hf.Listeners.Listeners {
			sshd = sshd || strconv.Itoa(l.Port) == port(sshAddr) && l.Process == "sshd"
		}
	}
	if !sshd {
		t.Errorf("listeners lack the host's sshd on %s: %+v", sshAddr, hf.Listeners)
	}
	if hf.Libvirtd == nil || hf.Libvirtd.Values["listen_tcp"] != "1" {
		t.Errorf("libvirtd.conf = %+v", hf.Libvirtd)
	}
	mtu := map[string]int{}
	if hf.Interfaces != nil {
		for _, l := range hf.Interfaces.Links {
			mtu[l.Name] = l.MTU
		}
	}
	if mtu["lo"] <= 0 {
		t.Errorf("interfaces without an MTU for lo: %+v", hf.Interfaces)
	}
	if hf.Files == nil || hf.Files.Files["/etc/cloudstack/agent/agent.properties"].Mode != "0666" ||
		hf.Files.Files["/root/.ssh/id_rsa.cloud"].Mode != "0644" {
		t.Errorf("file modes = %+v", hf.Files)
	}
	states := map[string]string{}
	if hf.Domains != nil {
		for _, d := range hf.Domains.Domains {
			states[d.Name] = d.State
		}
	}
	for _, n := range running {
		if states[n] != "running" {
			t.Errorf("domain %s = %q, want running (domains %+v)", n, states[n], hf.Domains)
		}
	}
	if hf.Clock == nil || hf.Clock.Reference != "database" || s.Meta.Database == nil || s.Meta.Database.ClockOffsetMS == nil {
		t.Errorf("clock not referenced to the database's: %+v, meta.database %+v", hf.Clock, s.Meta.Database)
	}
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

// TestAuditGeneratedLab audits the generated lab (timestamps relative to now)
// with only the database collector and a SELECT-only account: every planted
// fault is found on its resource, the finished expunge stays quiet, and no
// check fails to evaluate.
func TestAuditGeneratedLab(t *testing.T) {
	m := testbed.SharedMariaDB(t)
	const schema = "genlab"
	if err := m.LoadSchema(schema); err != nil {
		t.Fatal(err)
	}
	var lab bytes.Buffer
	if err := labgen.Write(&lab, labgen.Options{Seed: 5, Hosts: 12, VMs: 60, Now: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if err := m.Exec(schema, lab.String()); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateReadOnlyUser("gen_ro", "gen-pw-Q7", schema); err != nil {
		t.Fatal(err)
	}
	db, err := m.Root(schema)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names := func(q string) []string {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			t.Fatalf("the lab planted nothing for %q", q)
		}
		return out
	}
	want := map[string][]string{
		"CSA-HOST-001":  names("SELECT name FROM host WHERE type='Routing' AND status='Alert' AND removed IS NULL"),
		"CSA-STUCK-005": names("SELECT name FROM host WHERE resource_state='PrepareForMaintenance' AND removed IS NULL"),
		"CSA-STUCK-001": names("SELECT instance_name FROM vm_instance WHERE state IN ('Starting','Stopping','Migrating') AND removed IS NULL AND update_time < UTC_TIMESTAMP() - INTERVAL 1 HOUR"),
		"CSA-SET-001":   {"integration.api.port"},
	}
	expunged := names("SELECT instance_name FROM vm_instance WHERE state='Expunging' AND removed IS NOT NULL")

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("database:\n  dsn: \""+m.DSN("gen_ro", schema)+"\"\n  password_file: pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("gen-pw-Q7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r := csaudit(t, "audit", "--config", cfg, "--format", "json", "--out", out)
	if r.err != nil && r.code() != 0 {
		t.Fatalf("audit: %v\n%s", r.err, r.stderr)
	}
	rep, err := report.LoadJSON(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	on := map[string]bool{}
	for _, f := range rep.Findings {
		on[f.CheckID+"|"+f.Resource.Name] = true
		for _, x := range expunged {
			if f.Resource.Name == x {
				t.Errorf("finished expunge %s got %s", x, f.CheckID)
			}
		}
	}
	for check, resources := range want {
		for _, res := range resources {
			if !on[check+"|"+res] {
				t.Errorf("no %s finding on %s", check, res)
			}
		}
	}
	for _, c := range rep.Checks {
		if c.Status == report.Error {
			t.Errorf("%s could not be evaluated on the database alone: %s", c.ID, c.StatusReason)
		}
	}
	if rep.Target.Hosts < 12 || rep.Target.VMs < 50 || rep.Target.SystemVMs < 2 { // vms: live user VMs only
		t.Errorf("target %+v", rep.Target)
	}
	sameReportFromSavedSnapshot(t, out)
}

// sameReportFromSavedSnapshot: a live audit evaluated the snapshot in
// memory; the file it saved beside the report must re-evaluate to the very
// same report, digest included (the clock is fixed).
func sameReportFromSavedSnapshot(t *testing.T, out string) {
	t.Helper()
	again := filepath.Join(t.TempDir(), "again")
	r := csaudit(t, "audit", "--snapshot", filepath.Join(out, pipeline.SnapshotFile), "--format", "json", "--out", again)
	if r.err != nil && r.code() != 0 {
		t.Fatalf("audit --snapshot: %v\n%s", r.err, r.stderr)
	}
	live, err := os.ReadFile(filepath.Join(out, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(filepath.Join(again, "csaudit-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(saved), string(live)); diff != "" {
		t.Errorf("the saved snapshot re-evaluates to another report (-saved +live):\n%s", diff)
	}
}

// TestFirewallVerdictStatuses takes two lab hosts through simulated SSH and
// the whole audit: host A's IPv4 firewall has a rule on 16509 the interpreter
// cannot read (indeterminate), host B is closed on IPv4 but open on IPv6
// with libvirtd on [::]:16509. The open-ports check must never pass A: alone
// it is an error naming hosts.firewall; with B it fails on B (IPv6) and
// lists A as not evaluated.
func TestFirewallVerdictStatuses(t *testing.T) {
	lab, err := collectors.DecodeSnapshot(fixtures.Lab())
	if err != nil {
		t.Fatal(err)
	}
	var uuids []string
	for u, h := range lab.Hosts {
		if h.Agent != nil && h.Listeners != nil {
			uuids = append(uuids, u)
		}
	}
	sort.Strings(uuids)
	if len(uuids) < 2 {
		t.Fatal("the lab has fewer than two hosts with SSH facts")
	}
	closed := func() map[string]collectors.PortVerdict {
		return map[string]collectors.PortVerdict{"22": {Verdict: "closed"}, "8250": {Verdict: "closed"}, "16509": {Verdict: "closed"}, "16514": {Verdict: "closed"}}
	}
	a, b := *lab.Hosts[uuids[0]], *lab.Hosts[uuids[1]]
	a.Firewall = &collectors.FirewallFact{Ports: closed(), Ports6: closed()}
	a.Firewall.Ports["16509"] = collectors.PortVerdict{Verdict: "indeterminate"}
	b.Firewall = &collectors.FirewallFact{Ports: closed(), Ports6: closed()}
	b.Firewall.Ports6["16509"] = collectors.PortVerdict{Verdict: "open"}
	lb := *b.Listeners
	lb.Listeners = append(slices.Clone(lb.Listeners), collectors.Listener{Address: "::", Port: 16509, Process: "libvirtd"})
	b.Listeners = &lb
	facts := []*collectors.HostFacts{&a, &b}

	sim, err := testbed.StartSim(testbed.SimConfig{N: 2, Dir: t.TempDir(),
		Output: func(i int, _ string) ([]byte, int) { return hostrender.Output(facts[i], time.Now()), 0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	no := false
	cfg := &collectors.Config{SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{sim.ClientKeyFile},
		KnownHosts: sim.KnownHostsFile, UseAgent: &no}}

	audit := func(n int) report.Check {
		t.Helper()
		var targets []collectors.Target
		for i := range n {
			h := lab.Hosts[uuids[i]]
			targets = append(targets, collectors.Target{ID: h.HostID, UUID: uuids[i], Name: h.Name, Address: sim.Addrs[i], Hypervisor: "KVM"})
		}
		part, err := hosts.New(cfg).Collect(context.Background(), &collectors.Inventory{Hosts: targets})
		if err != nil {
			t.Fatal(err)
		}
		// The lab with only these hosts' SSH facts and coverage.
		s, err := collectors.DecodeSnapshot(fixtures.Lab())
		if err != nil {
			t.Fatal(err)
		}
		s.Hosts = part.Hosts
		for _, f := range hosts.Facts {
			s.Coverage[f] = part.Coverage[f]
		}
		js, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "snap.json"), js, 0o600); err != nil {
			t.Fatal(err)
		}
		r := csaudit(t, "audit", "--snapshot", filepath.Join(dir, "snap.json"), "--format", "json", "--out", dir)
		if r.err != nil && r.code() != 0 {
			t.Fatalf("audit: %v\n%s", r.err, r.stderr)
		}
		rep, err := report.LoadJSON(filepath.Join(dir, "csaudit-report.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range rep.Checks {
			if c.ID == "CSA-HOST-006" {
				var fs []report.Finding
				for _, f := range rep.Findings {
					if f.CheckID == c.ID {
						fs = append(fs, f)
					}
				}
				t.Logf("%d host(s): %s (%s), not evaluated %v, %d finding(s)", n, c.Status, c.StatusReason, c.NotEvaluated, len(fs))
				if n == 2 && (len(fs) != 1 || fs[0].Resource.UUID != uuids[1] || fs[0].Discriminator != "16509" ||
					fs[0].Severity != report.High || !slices.Equal(anyStrings(fs[0].Evidence["families"]), []string{"ipv6"})) {
					t.Errorf("findings with the IPv6-open host: %+v", fs)
				}
				return c
			}
		}
		t.Fatal("CSA-HOST-006 not in the report")
		return report.Check{}
	}

	c := audit(1)
	if c.Status != report.Error || !slices.Equal(c.NotEvaluated, []string{uuids[0]}) || !strings.Contains(c.StatusReason, "hosts.firewall") {
		t.Errorf("indeterminate 16509 alone: status %s (%s), not evaluated %v; want error naming hosts.firewall", c.Status, c.StatusReason, c.NotEvaluated)
	}
	c = audit(2)
	if c.Status != report.Fail || !slices.Equal(c.NotEvaluated, []string{uuids[0]}) || !strings.Contains(c.StatusReason, "hosts.firewall") {
		t.Errorf("with the IPv6-open host: status %s (%s), not evaluated %v; want fail naming hosts.firewall, A not evaluated", c.Status, c.StatusReason, c.NotEvaluated)
	}
}

func anyStrings(v any) []string {
	var out []string
	if xs, ok := v.([]any); ok {
		for _, x := range xs {
			s, _ := x.(string)
			out = append(out, s)
		}
	}
	return out
}
