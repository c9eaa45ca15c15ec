package remediate

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/database"
	"github.com/csaudit/csaudit/collectors/ipmi"
	"github.com/csaudit/csaudit/collectors/libvirt"
	"github.com/csaudit/csaudit/fixtures/testbed"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/report"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbed.StopSharedMariaDB()
	if shared.host != nil {
		shared.host.Stop()
	}
	os.RemoveAll(shared.dir)
	os.Exit(code)
}

// The package's peers: one MariaDB with CloudStack's schema and two
// accounts (the audit's SELECT-only one and the fix account with exactly
// the grants docs/fixes.md gives), and one simulated KVM host (sshd with a
// libvirtd beside it). Each test has its own VMs and host rows, and its own
// test-driver node file, so tests never see each other's domains.
var shared struct {
	once     sync.Once
	err      error
	db       *testbed.MariaDB
	host     *testbed.Host
	dir      string
	canary   *testbed.Canary
	nextID   atomic.Int64
	passFile string
	// auditPass holds the audit account's password.
	auditPass string
}

// Fix grants, as docs/fixes.md documents them.
const fixGrants = "GRANT SELECT ON `cloud`.* TO 'csfix'@'127.0.0.1';\n" +
	"GRANT UPDATE (state, host_id, power_state, power_state_update_time, update_count, update_time) ON `cloud`.`vm_instance` TO 'csfix'@'127.0.0.1';"

func peers(t *testing.T) {
	t.Helper()
	m := testbed.SharedMariaDB(t)
	shared.once.Do(func() {
		shared.db = m
		shared.canary = testbed.NewCanary(3)
		shared.nextID.Store(1000)
		if shared.dir, shared.err = os.MkdirTemp("", "csaudit-remediate-"); shared.err != nil {
			return
		}
		pw := shared.canary.Values[0]
		shared.passFile = filepath.Join(shared.dir, "fix.pass")
		if shared.err = os.WriteFile(shared.passFile, []byte(pw+"\n"), 0o600); shared.err != nil {
			return
		}
		shared.auditPass = filepath.Join(shared.dir, "audit.pass")
		if shared.err = os.WriteFile(shared.auditPass, []byte(shared.canary.Values[1]+"\n"), 0o600); shared.err != nil {
			return
		}
		if shared.err = m.CreateReadOnlyUser("auditor", shared.canary.Values[1], "cloud"); shared.err != nil {
			return
		}
		if shared.err = m.Exec("", "CREATE USER 'csfix'@'127.0.0.1' IDENTIFIED BY '"+pw+"';\n"+fixGrants); shared.err != nil {
			return
		}
		hd := filepath.Join(shared.dir, "host")
		if shared.err = os.MkdirAll(hd, 0o755); shared.err != nil {
			return
		}
		shared.host, shared.err = testbed.StartHost(testbed.HostConfig{Dir: hd, Libvirt: &testbed.LibvirtConfig{}})
	})
	if shared.err != nil {
		if strings.Contains(shared.err.Error(), testbed.ErrMissing.Error()) {
			testbed.Missing(t, shared.err)
		}
		t.Fatal(shared.err)
	}
}

// cloud is one test's corner of the shared database.
type cloud struct {
	t    *testing.T
	cfg  *collectors.Config
	node string // the test's node file
	host int64  // its KVM host
}

// newCloud adds a KVM host (Up, Enabled) for the test and a config whose
// libvirt URI is the test's own node file, holding doms.
func newCloud(t *testing.T, doms ...testbed.TestDomain) *cloud {
	peers(t)
	c := &cloud{t: t, host: shared.nextID.Add(1)}
	c.node = filepath.Join(t.TempDir(), "node.xml")
	c.setDomains(doms...)
	name := fmt.Sprintf("kvm-fx-%d", c.host)
	c.exec(fmt.Sprintf("INSERT INTO host (id, name, uuid, status, type, private_ip_address, data_center_id, version, dom0_memory, last_ping, "+
		"resource_state, hypervisor_type, created) VALUES (%d, '%s', 'host-uuid-%d', 'Up', 'Routing', '127.0.0.1', 1, '4.22.0.0', 0, 0, 'Enabled', 'KVM', UTC_TIMESTAMP())",
		c.host, name, c.host))
	no := false
	c.cfg = &collectors.Config{
		Database: &collectors.DatabaseConfig{DSN: shared.db.DSN("auditor", "cloud"), PasswordFile: shared.auditPass, FixDSN: shared.db.DSN("csfix", "cloud"), FixPasswordFile: shared.passFile},
		SSH: &collectors.SSHConfig{User: "root", IdentityFiles: []string{shared.host.ClientKeyFile}, KnownHosts: shared.host.KnownHostsFile, UseAgent: &no,
			ConnectTimeout: collectors.Duration(5 * time.Second), CommandTimeout: collectors.Duration(10 * time.Second),
			Addresses: map[string]string{name: shared.host.Addr}},
		Libvirt: &collectors.LibvirtConfig{URI: "test://" + c.node},
	}
	return c
}

func (c *cloud) setDomains(doms ...testbed.TestDomain) {
	c.t.Helper()
	if err := os.WriteFile(c.node, []byte(testbed.NodeXML(doms)), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cloud) exec(q string) {
	c.t.Helper()
	if err := shared.db.Exec("cloud", "SET SESSION sql_mode = ''; SET SESSION foreign_key_checks = 0;\n"+q); err != nil {
		c.t.Fatalf("%v\n%s", err, q)
	}
}

// vm adds a user VM in state on host (0: NULL), stuck for two hours, and
// returns its id. Its vnc_password is a canary.
func (c *cloud) vm(state string, host int64) int64 {
	id := shared.nextID.Add(1)
	h := "NULL"
	if host != 0 {
		h = fmt.Sprint(host)
	}
	c.exec(fmt.Sprintf("INSERT INTO vm_instance (id, name, uuid, instance_name, state, guest_os_id, data_center_id, host_id, last_host_id, vnc_password, created, "+
		"type, vm_type, account_id, domain_id, service_offering_id, power_state, power_host, power_state_update_time, update_count, update_time) VALUES "+
		"(%d, 'vm%d', '%s', '%s', '%s', 1, 1, %s, %s, '%s', UTC_TIMESTAMP() - INTERVAL 1 DAY, 'User', 'User', 2, 1, 1, 'PowerOn', %s, "+
		"UTC_TIMESTAMP() - INTERVAL 3 HOUR, 7, UTC_TIMESTAMP() - INTERVAL 2 HOUR)",
		id, id, vmUUID(id), instanceName(id), state, h, h, shared.canary.Values[2], h))
	return id
}

func vmUUID(id int64) string       { return fmt.Sprintf("6f0d2a0e-2222-4b4b-9c9c-%012d", id) }
func instanceName(id int64) string { return fmt.Sprintf("i-2-%d-VM", id) }

// domain is the running domain of a VM.
func domain(id int64) testbed.TestDomain {
	return testbed.TestDomain{Name: instanceName(id), UUID: vmUUID(id), State: 1}
}

// rows reads the guarded columns of the given VMs, as root.
func (c *cloud) rows(ids ...int64) map[int64]string {
	c.t.Helper()
	db, err := shared.db.Root("cloud")
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	out := map[int64]string{}
	for _, id := range ids {
		var s string
		err := db.QueryRow("SELECT CONCAT_WS('|', state, IFNULL(host_id,'NULL'), IFNULL(last_host_id,'NULL'), IFNULL(power_state,'NULL'), "+
			"IFNULL(power_host,'NULL'), IFNULL(power_state_update_time,'NULL'), update_count, IFNULL(update_time,'NULL')) FROM vm_instance WHERE id = ?", id).Scan(&s)
		if err != nil {
			c.t.Fatal(err)
		}
		out[id] = s
	}
	return out
}

// checksums is CHECKSUM TABLE of the tables a fix run reads or writes.
func checksums(t *testing.T) string {
	t.Helper()
	db, err := shared.db.Root("cloud")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, tab := range []string{"vm_instance", "host", "async_job", "vm_work_job", "op_ha_work", "configuration"} {
		var name string
		var sum sql.NullInt64
		if err := db.QueryRow("CHECKSUM TABLE "+tab).Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", name, sum.Int64)
	}
	return b.String()
}

// plan runs the audit pipeline's parts as `csaudit fix plan` does: the
// database and libvirt collectors, every check, then MakePlan.
func (c *cloud) plan() (*Plan, *collectors.Snapshot, []report.Finding) {
	c.t.Helper()
	ctx := context.Background()
	r := &collectors.Runner{
		Collectors: []collectors.Collector{database.New(c.cfg), libvirt.New(c.cfg)},
		Selected:   map[string]bool{collectors.NameDatabase: true, collectors.NameLibvirt: true},
		Tool:       collectors.Tool{Name: "csaudit", Version: "test"},
	}
	if c.cfg.IPMI != nil {
		r.Collectors = append(r.Collectors, ipmi.New(c.cfg))
		r.Selected[collectors.NameIPMI] = true
	}
	snap, err := r.Run(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	raw, err := snap.Encode()
	if err != nil {
		c.t.Fatal(err)
	}
	eng := engine(c.t)
	in, err := policies.ParseInput(raw)
	if err != nil {
		c.t.Fatal(err)
	}
	checks, findings, err := eng.Evaluate(ctx, in)
	if err != nil {
		c.t.Fatal(err)
	}
	rep := &report.Report{Checks: checks, Findings: findings}
	rep.Finalize()
	findings = rep.Findings
	p, err := MakePlan(snap, findings, Options{StuckMinutes: 30, Now: time.Now(), SnapshotSHA256: collectors.SHA256(raw)})
	if err != nil {
		c.t.Fatal(err)
	}
	return p, snap, findings
}

var eng struct {
	once sync.Once
	e    *policies.Engine
	err  error
}

func engine(t *testing.T) *policies.Engine {
	eng.once.Do(func() { eng.e, eng.err = policies.New(context.Background(), policies.Options{}) })
	if eng.err != nil {
		t.Fatal(eng.err)
	}
	return eng.e
}

func (c *cloud) applier(journal string) *Applier {
	c.t.Helper()
	db, _, err := OpenFixDB(c.cfg, func(string) string { return "" })
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	a := &Applier{DB: db, Domains: Libvirt{Config: c.cfg}, Journal: &Journal{Dir: journal}, StuckMinutes: 30, Version: "test"}
	if c.cfg.IPMI != nil {
		a.Power = IPMI{Config: c.cfg}
	}
	return a
}

// fixFor is the plan's fix for a VM, failing the test without one.
func fixFor(t *testing.T, p *Plan, vm int64) *Fix {
	t.Helper()
	for i, f := range p.Fixes {
		if f.Resource.ID == fmt.Sprint(vm) {
			return &p.Fixes[i]
		}
	}
	t.Fatalf("no fix for VM %d in plan (advice: %+v)", vm, adviceFor(p, vm))
	return nil
}

func adviceFor(p *Plan, vm int64) *Advice {
	for i, a := range p.Advice {
		if a.Resource.ID == fmt.Sprint(vm) {
			return &p.Advice[i]
		}
	}
	return nil
}

// shutoffByUUID is a defined, shut-off domain with the VM's uuid under
// another name: still the VM's domain.
func shutoffByUUID(id int64) testbed.TestDomain {
	return testbed.TestDomain{Name: fmt.Sprintf("renamed-%d", id), UUID: vmUUID(id), State: 5}
}
