package readiness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/database"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbed.StopSharedMariaDB()
	os.Exit(code)
}

// fx writes a small cloud as SQL for the real schema: one scenario per
// cluster, so one load serves most tests. Only the columns that matter are
// written; the session relaxes the rest as fixtures/labgen does.
type fx struct{ b strings.Builder }

// Standard host: 16 cores at 2000 MHz (32000 MHz) and 64 GiB.
const (
	gib      = int64(1) << 30
	hostMHz  = int64(16 * 2000)
	hostRAM  = 64 * gib
	acctMain = 2
	acctFar  = 3
)

func uid(kind, id int) string { return fmt.Sprintf("00000000-0000-4000-8%03d-%012d", kind, id) }

const (
	kHost = iota + 1
	kVM
	kCluster
	kJob
	kZone
	kPool
	kGroup
)

func (f *fx) sql(format string, a ...any) { fmt.Fprintf(&f.b, format+";\n", a...) }

func (f *fx) zone(id int) {
	f.sql("INSERT INTO data_center (id,name,uuid,networktype,allocation_state,is_local_storage_enabled,created) VALUES (%d,'zone-%d','%s','Advanced','Enabled',1,'2025-01-01')",
		id, id, uid(kZone, id))
	f.sql("INSERT INTO host_pod_ref (id,name,uuid,data_center_id,gateway,cidr_address,cidr_size,description,allocation_state,created) VALUES (%d,'pod-%d','%s',%d,'10.0.0.1','10.0.0.0',16,'','Enabled','2025-01-01')",
		id, id, uid(kZone, 100+id), id)
}

// cluster adds cluster id with CloudStack's two overcommit rows and any other details.
func (f *fx) cluster(id, zone int, name, cpuRatio, memRatio string, details ...string) {
	f.sql("INSERT INTO cluster (id,name,uuid,guid,pod_id,data_center_id,hypervisor_type,cluster_type,allocation_state,managed_state,created,arch) VALUES (%d,'%s','%s','%s',%d,%d,'KVM','CloudManaged','Enabled','Managed','2025-01-01','x86_64')",
		id, name, uid(kCluster, id), uid(kCluster, 1000+id), zone, zone)
	f.sql("INSERT INTO cluster_details (cluster_id,name,value) VALUES (%d,'cpuOvercommitRatio','%s'),(%d,'memoryOvercommitRatio','%s')", id, cpuRatio, id, memRatio)
	for i := 0; i+1 < len(details); i += 2 {
		f.sql("INSERT INTO cluster_details (cluster_id,name,value) VALUES (%d,'%s','%s')", id, details[i], details[i+1])
	}
}

type hostOpt struct {
	status, state   string
	usedMHz, usedGB int64
	tags            []string
}

func (f *fx) host(id, cluster, zone int, o hostOpt) {
	if o.status == "" {
		o.status = "Up"
	}
	if o.state == "" {
		o.state = "Enabled"
	}
	name := fmt.Sprintf("c%02d-h%d", cluster, id%10)
	f.sql("INSERT INTO host (id,name,uuid,status,type,private_ip_address,cluster_id,pod_id,data_center_id,cpu_sockets,cpus,speed,hypervisor_type,ram,resource,version,guid,dom0_memory,last_ping,created,resource_state,arch) "+
		"VALUES (%d,'%s','%s','%s','Routing','10.9.%d.%d',%d,%d,%d,2,16,2000,'KVM',%d,'com.cloud.hypervisor.kvm.resource.LibvirtComputingResource','4.22.0.0','%s',0,0,'2025-01-01','%s','x86_64')",
		id, name, uid(kHost, id), o.status, id/250, id%250, cluster, zone, zone, hostRAM, uid(kHost, 100000+id), o.state)
	f.sql("INSERT INTO op_host_capacity (host_id,data_center_id,pod_id,cluster_id,used_capacity,reserved_capacity,total_capacity,capacity_type,capacity_state,created) VALUES "+
		"(%d,%d,%d,%d,%d,0,%d,0,'Enabled','2025-01-01'),(%d,%d,%d,%d,%d,0,%d,1,'Enabled','2025-01-01')",
		id, zone, zone, cluster, o.usedGB*gib, hostRAM, id, zone, zone, cluster, o.usedMHz, hostMHz)
	for _, t := range o.tags {
		f.sql("INSERT INTO host_tags (host_id,tag,is_tag_a_rule,is_implicit) VALUES (%d,'%s',0,0)", id, t)
	}
}

// Service offerings.
const (
	soSmall  = 1 // 2 x 1000 MHz, 4 GiB
	soBig    = 2 // 4 x 2000 MHz, 16 GiB
	soGPU    = 3 // 2 x 1000 MHz, 2 GiB, host tag gpu
	soCustom = 4 // size from vm_instance_details
	soCPU    = 5 // 4 x 2000 MHz, 2 GiB
	soRouter = 6 // 1 x 500 MHz, 512 MiB, system
	soMem8   = 7 // 2 x 1000 MHz, 8 GiB
)

func (f *fx) offerings() {
	for _, o := range []struct {
		id             int
		name           string
		cpu, mhz, ram  any
		tag            any
		custom, system int
	}{
		{soSmall, "Small", 2, 1000, 4096, nil, 0, 0}, {soBig, "Big", 4, 2000, 16384, nil, 0, 0}, {soGPU, "GPU", 2, 1000, 2048, "gpu", 0, 0},
		{soCustom, "Custom", nil, nil, nil, nil, 1, 0}, {soCPU, "CPU heavy", 4, 2000, 2048, nil, 0, 0}, {soRouter, "System Offering For Software Router", 1, 500, 512, nil, 0, 1},
		{soMem8, "Mem 8", 2, 1000, 8192, nil, 0, 0},
	} {
		f.sql("INSERT INTO service_offering (id,cpu,speed,ram_size,ha_enabled,limit_cpu_use,host_tag,default_use,system_use,uuid,name,display_text,customized,created,state,disk_offering_id) VALUES (%d,%s,%s,%s,0,0,%s,0,%d,'%s','%s','%s',%d,'2025-01-01','Active',%d)",
			o.id, sqlv(o.cpu), sqlv(o.mhz), sqlv(o.ram), sqlv(o.tag), o.system, uid(90, o.id), o.name, o.name, o.custom, o.id)
	}
}

func sqlv(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + x + "'"
	}
	return fmt.Sprint(v)
}

type vmOpt struct {
	state, typ string
	lastHost   int
	account    int
	so         int
}

// vm adds VM id on host (0: none) with one 20 GiB root volume on pool (0:
// the cluster's shared pool).
func (f *fx) vm(id, host, zone int, o vmOpt, pool int) {
	if o.state == "" {
		o.state = "Running"
	}
	if o.typ == "" {
		o.typ = "User"
	}
	if o.account == 0 {
		o.account = acctMain
	}
	if o.so == 0 {
		o.so = soSmall
	}
	last := host
	if o.lastHost != 0 {
		last = o.lastHost
	}
	f.sql("INSERT INTO vm_instance (id,name,uuid,instance_name,state,vm_template_id,guest_os_id,pod_id,data_center_id,host_id,last_host_id,vnc_password,ha_enabled,update_count,created,type,vm_type,account_id,domain_id,service_offering_id,hypervisor_type,power_state) "+
		"VALUES (%d,'vm-%d','%s','i-2-%d-VM','%s',1,99,%d,%d,%s,%s,'x',0,1,'2025-01-01','%s','%s',%d,1,%d,'KVM','PowerOn')",
		id, id, uid(kVM, id), id, o.state, zone, zone, sqlv(nz(host)), sqlv(nz(last)), o.typ, o.typ, o.account, o.so)
	if pool == 0 {
		pool = 1
	}
	f.sql("INSERT INTO volumes (id,account_id,domain_id,pool_id,instance_id,device_id,name,uuid,size,path,data_center_id,volume_type,disk_offering_id,created,state,format,provisioning_type) "+
		"VALUES (%d,%d,1,%d,%d,0,'ROOT-%d','%s',%d,'p%d',%d,'ROOT',1,'2025-01-01','Ready','QCOW2','thin')",
		id, o.account, pool, id, id, uid(kPool, 500000+id), 20*gib, id, zone)
}

func nz(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// localPool adds a scope HOST pool of host with capacity GiB.
func (f *fx) localPool(id, host, cluster, zone int, capacityGB int64) {
	f.sql("INSERT INTO storage_pool (id,name,uuid,pool_type,port,data_center_id,pod_id,cluster_id,used_bytes,capacity_bytes,host_address,path,created,status,scope,hypervisor,storage_provider_name) "+
		"VALUES (%d,'local-%d','%s','Filesystem',0,%d,%d,%d,0,%d,'10.9.0.1','/var/lib/libvirt/images','2025-01-01','Up','HOST','KVM','DefaultPrimary')",
		id, host, uid(kPool, id), zone, zone, cluster, capacityGB*gib)
	f.sql("INSERT INTO storage_pool_host_ref (host_id,pool_id,created,local_path) VALUES (%d,%d,'2025-01-01','/var/lib/libvirt/images')", host, id)
}

func (f *fx) job(id, instance int, instanceType string, status int) {
	f.sql("INSERT INTO async_job (id,user_id,account_id,instance_type,instance_id,job_cmd,job_cmd_ver,job_status,job_process_status,job_result_code,job_init_msid,created,last_updated,uuid,job_type,job_dispatcher,job_pending_signals) "+
		"VALUES (%d,2,2,'%s',%d,'org.apache.cloudstack.api.command.user.vm.StartVMCmd',0,%d,0,0,1,UTC_TIMESTAMP() - INTERVAL 5 MINUTE,UTC_TIMESTAMP() - INTERVAL 1 MINUTE,'%s','AsyncJob','ApiAsyncJobDispatcher',0)",
		id, instanceType, instance, status, uid(kJob, id))
}

// scenarios is the shared cloud: cluster n holds the scenario the tests
// name it by; hosts are n*10+k, VMs n*100+k.
func scenarios(extra ...string) string {
	f := &fx{}
	f.sql("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION', FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0, time_zone = '+00:00'")
	f.zone(1)
	f.zone(2)
	f.offerings()
	f.sql("INSERT INTO storage_pool (id,name,uuid,pool_type,port,data_center_id,pod_id,used_bytes,capacity_bytes,host_address,path,created,status,scope,hypervisor,storage_provider_name) " +
		"VALUES (1,'nfs','" + uid(kPool, 1) + "','NetworkFilesystem',2049,1,1,0,109951162777600,'10.8.0.1','/export','2025-01-01','Up','ZONE','KVM','DefaultPrimary')")
	f.sql("REPLACE INTO configuration (category,instance,component,name,value,description,default_value,scope,is_dynamic) VALUES ('Advanced','DEFAULT','management-server','ha.tag','ha','',NULL,1,0)")
	for i := 0; i+1 < len(extra); i += 2 {
		f.sql("REPLACE INTO configuration (category,instance,component,name,value,description,default_value,scope,is_dynamic) VALUES ('Advanced','DEFAULT','management-server','%s','%s','',NULL,1,1)", extra[i], extra[i+1])
	}
	std := func(c int, name string, details ...string) { f.cluster(c, 1, name, "1.0", "1.0", details...) }

	// 1 go: two small VMs (one with a finished job) leave h1 for h2.
	std(1, "c01-go")
	f.host(11, 1, 1, hostOpt{usedMHz: 4000, usedGB: 8})
	f.host(12, 1, 1, hostOpt{})
	f.vm(101, 11, 1, vmOpt{}, 0)
	f.vm(102, 11, 1, vmOpt{}, 0)
	f.job(1, 101, "VirtualMachine", 1)

	// 2 host capacity: 16 GiB fits neither 10 GiB hole (cluster threshold raised to 1).
	std(2, "c02-hostcap", "cluster.memory.allocated.capacity.disablethreshold", "1.0")
	f.host(21, 2, 1, hostOpt{usedMHz: 8000, usedGB: 16})
	f.host(22, 2, 1, hostOpt{usedGB: 54})
	f.host(23, 2, 1, hostOpt{usedGB: 54})
	f.vm(201, 21, 1, vmOpt{so: soBig}, 0)

	// 3 and 4: 8000 MHz fits h2 only with the cluster's cpuOvercommitRatio 4.
	f.cluster(3, 1, "c03-overprov", "4.0", "1.0")
	f.host(31, 3, 1, hostOpt{usedMHz: 8000, usedGB: 2})
	f.host(32, 3, 1, hostOpt{usedMHz: 30000, usedGB: 2})
	f.vm(301, 31, 1, vmOpt{so: soCPU}, 0)
	std(4, "c04-no-overprov")
	f.host(41, 4, 1, hostOpt{usedMHz: 8000, usedGB: 2})
	f.host(42, 4, 1, hostOpt{usedMHz: 30000, usedGB: 2})
	f.vm(401, 41, 1, vmOpt{so: soCPU}, 0)

	// 5 and 6: 8 GiB fits each host but takes the cluster to 87.5% of its
	// memory: beyond the default 0.85, within a cluster override of 0.9.
	std(5, "c05-threshold")
	f.host(51, 5, 1, hostOpt{usedMHz: 2000, usedGB: 8})
	f.host(52, 5, 1, hostOpt{usedGB: 52})
	f.host(53, 5, 1, hostOpt{usedGB: 52})
	f.vm(501, 51, 1, vmOpt{so: soMem8}, 0)
	std(6, "c06-threshold-override", "cluster.memory.allocated.capacity.disablethreshold", "0.9")
	f.host(61, 6, 1, hostOpt{usedMHz: 2000, usedGB: 8})
	f.host(62, 6, 1, hostOpt{usedGB: 52})
	f.host(63, 6, 1, hostOpt{usedGB: 52})
	f.vm(601, 61, 1, vmOpt{so: soMem8}, 0)

	// 7 and 8: an offering tagged gpu needs another gpu host.
	std(7, "c07-tag-missing")
	f.host(71, 7, 1, hostOpt{tags: []string{"gpu"}})
	f.host(72, 7, 1, hostOpt{tags: []string{"ssd"}})
	f.vm(701, 71, 1, vmOpt{so: soGPU}, 0)
	std(8, "c08-tag-present")
	f.host(81, 8, 1, hostOpt{tags: []string{"gpu"}})
	f.host(82, 8, 1, hostOpt{})
	f.host(83, 8, 1, hostOpt{tags: []string{"gpu"}})
	f.vm(801, 81, 1, vmOpt{so: soGPU}, 0)

	// 9: the only other host carries ha.tag.
	std(9, "c09-hatag")
	f.host(91, 9, 1, hostOpt{})
	f.host(92, 9, 1, hostOpt{tags: []string{"ha"}})
	f.vm(901, 91, 1, vmOpt{}, 0)

	// 10 and 11: host anti-affinity.
	f.sql("INSERT INTO affinity_group (id,name,type,uuid,description,domain_id,account_id,acl_type) VALUES (1,'web-anti','host anti-affinity','%s','',1,2,'Account'),(2,'db-anti','host anti-affinity','%s','',1,2,'Account')",
		uid(kGroup, 1), uid(kGroup, 2))
	std(10, "c10-anti-blocked")
	f.host(101, 10, 1, hostOpt{})
	f.host(102, 10, 1, hostOpt{})
	f.vm(1001, 101, 1, vmOpt{}, 0)
	f.vm(1002, 102, 1, vmOpt{}, 0)
	std(11, "c11-anti-ok")
	f.host(111, 11, 1, hostOpt{})
	f.host(112, 11, 1, hostOpt{})
	f.host(113, 11, 1, hostOpt{})
	f.vm(1101, 111, 1, vmOpt{}, 0)
	f.vm(1102, 112, 1, vmOpt{}, 0)
	f.sql("INSERT INTO affinity_group_vm_map (affinity_group_id,instance_id) VALUES (1,1001),(1,1002),(2,1101),(2,1102)")

	// 12 and 13: a host dedicated to another account, or to the VM's.
	std(12, "c12-dedicated-other")
	f.host(121, 12, 1, hostOpt{})
	f.host(122, 12, 1, hostOpt{})
	f.vm(1201, 121, 1, vmOpt{}, 0)
	std(13, "c13-dedicated-own")
	f.host(131, 13, 1, hostOpt{})
	f.host(132, 13, 1, hostOpt{})
	f.vm(1301, 131, 1, vmOpt{}, 0)
	f.sql("INSERT INTO dedicated_resources (uuid,host_id,domain_id,account_id) VALUES ('%s',122,1,%d),('%s',132,1,%d)", uid(80, 1), acctFar, uid(80, 2), acctMain)

	// 14 and 15: custom offerings sized by vm_instance_details.
	std(14, "c14-custom-fits")
	f.host(141, 14, 1, hostOpt{})
	f.host(142, 14, 1, hostOpt{})
	f.vm(1401, 141, 1, vmOpt{so: soCustom}, 0)
	f.sql("INSERT INTO vm_instance_details (vm_id,name,value,display) VALUES (1401,'CpuNumber','4',1),(1401,'CpuSpeed','2000',1),(1401,'memory','8192',1)")
	std(15, "c15-custom-too-big")
	f.host(151, 15, 1, hostOpt{})
	f.host(152, 15, 1, hostOpt{})
	f.vm(1501, 151, 1, vmOpt{so: soCustom}, 0)
	f.sql("INSERT INTO vm_instance_details (vm_id,name,value,display) VALUES (1501,'CpuNumber','2',1),(1501,'CpuSpeed','1000',1),(1501,'memory','131072',1)")

	// 16: a VM on the host's local storage; h2 has a local pool with room.
	std(16, "c16-local")
	f.host(161, 16, 1, hostOpt{})
	f.host(162, 16, 1, hostOpt{})
	f.localPool(16001, 161, 16, 1, 500)
	f.localPool(16002, 162, 16, 1, 1000)
	f.vm(1601, 161, 1, vmOpt{}, 16001)

	// 17-19: VM states and migrations.
	std(17, "c17-starting")
	f.host(171, 17, 1, hostOpt{})
	f.host(172, 17, 1, hostOpt{})
	f.vm(1701, 171, 1, vmOpt{state: "Starting"}, 0)
	std(18, "c18-error")
	f.host(181, 18, 1, hostOpt{})
	f.host(182, 18, 1, hostOpt{})
	f.vm(1801, 181, 1, vmOpt{state: "Error"}, 0)
	std(19, "c19-migrating")
	f.host(191, 19, 1, hostOpt{})
	f.host(192, 19, 1, hostOpt{})
	f.vm(1901, 191, 1, vmOpt{state: "Migrating", lastHost: 192}, 0) // from h2 to h1

	// 20: an IN_PROGRESS job on a VM.
	std(20, "c20-job")
	f.host(201, 20, 1, hostOpt{})
	f.host(202, 20, 1, hostOpt{})
	f.vm(2001, 201, 1, vmOpt{}, 0)
	f.job(2, 2001, "VirtualMachine", 0)

	// 21: the other host is Disabled.
	std(21, "c21-last-host")
	f.host(211, 21, 1, hostOpt{})
	f.host(212, 21, 1, hostOpt{state: "Disabled"})
	f.vm(2101, 211, 1, vmOpt{}, 0)

	// 22: a router migrating from h1 to h2.
	std(22, "c22-router")
	f.host(221, 22, 1, hostOpt{})
	f.host(222, 22, 1, hostOpt{})
	f.vm(2201, 222, 1, vmOpt{state: "Migrating", typ: "DomainRouter", lastHost: 221, so: soRouter, account: 1}, 0)

	// 23: zone 2 has vm.ha.enabled false.
	f.cluster(23, 2, "c23-ha-off", "1.0", "1.0")
	f.host(231, 23, 2, hostOpt{})
	f.host(232, 23, 2, hostOpt{})
	f.vm(2301, 231, 2, vmOpt{}, 0)
	f.sql("INSERT INTO data_center_details (dc_id,name,value) VALUES (2,'vm.ha.enabled','false')")

	// 24: a rolling drain that stops at its third host (the only gpu host).
	std(24, "c24-drain")
	f.host(241, 24, 1, hostOpt{usedMHz: 4000, usedGB: 8})
	f.host(242, 24, 1, hostOpt{usedMHz: 2000, usedGB: 4})
	f.host(243, 24, 1, hostOpt{usedMHz: 2000, usedGB: 2, tags: []string{"gpu"}})
	f.host(244, 24, 1, hostOpt{})
	f.vm(2401, 241, 1, vmOpt{}, 0)
	f.vm(2402, 241, 1, vmOpt{}, 0)
	f.vm(2403, 242, 1, vmOpt{}, 0)
	f.vm(2404, 243, 1, vmOpt{so: soGPU}, 0)

	// 25: another host of the cluster is still preparing for maintenance.
	std(25, "c25-other-preparing")
	f.host(251, 25, 1, hostOpt{state: "PrepareForMaintenance"})
	f.host(252, 25, 1, hostOpt{})
	f.host(253, 25, 1, hostOpt{})
	f.vm(2501, 252, 1, vmOpt{}, 0)

	// 26: local volumes too large for the other host's local pool.
	std(26, "c26-local-full")
	f.host(261, 26, 1, hostOpt{})
	f.host(262, 26, 1, hostOpt{})
	f.localPool(26001, 261, 26, 1, 500)
	f.localPool(26002, 262, 26, 1, 10)
	f.vm(2601, 261, 1, vmOpt{}, 26001)

	// 27 and 28: two hosts share a name in different clusters (ambiguous).
	for c := 27; c <= 28; c++ {
		std(c, fmt.Sprintf("c%02d-dup", c))
		f.sql("INSERT INTO host (id,name,uuid,status,type,private_ip_address,cluster_id,pod_id,data_center_id,cpus,speed,hypervisor_type,ram,version,guid,dom0_memory,last_ping,created,resource_state) "+
			"VALUES (%d,'dup-host','%s','Up','Routing','10.9.1.%d',%d,1,1,16,2000,'KVM',1,'4.22.0.0','g%d',0,0,'2025-01-01','Enabled')", c*10+1, uid(kHost, c*10+1), c, c, c)
	}
	return f.b.String()
}

const auditPW = "audit-pw-readiness"

var dbs struct {
	sync.Mutex
	loaded map[string]error
}

// cloudDB loads the scenarios (with extra settings) as schema once and
// grants the SELECT-only account on it.
func cloudDB(t testing.TB, schema string, extra ...string) *testbed.MariaDB {
	t.Helper()
	m := testbed.SharedMariaDB(t)
	dbs.Lock()
	defer dbs.Unlock()
	if dbs.loaded == nil {
		dbs.loaded = map[string]error{}
	}
	err, done := dbs.loaded[schema]
	if !done {
		err = m.LoadSchema(schema)
		if err == nil {
			err = m.LoadSQL(schema, strings.NewReader(scenarios(extra...)))
		}
		if err == nil {
			err = m.CreateReadOnlyUser("auditor", auditPW, schema)
		}
		dbs.loaded[schema] = err
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// collect reads schema with the database collector and a SELECT-only
// account, as an audit does.
func collect(t testing.TB, m *testbed.MariaDB, schema string) *collectors.Snapshot {
	t.Helper()
	pf := filepath.Join(t.TempDir(), "db.pass")
	if err := os.WriteFile(pf, []byte(auditPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &collectors.Config{Database: &collectors.DatabaseConfig{DSN: m.DSN("auditor", schema), PasswordFile: pf}}
	p, err := database.New(cfg).Collect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) > 0 {
		t.Fatalf("collector errors: %+v", p.Errors)
	}
	s := collectors.New(collectors.Tool{Name: "csaudit", Version: "test"}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	collectors.Merge(s, p)
	s.Meta.Collectors[collectors.NameDatabase] = collectors.CollectorRun{Selected: true, Stage: 1, OK: true}
	return s
}
