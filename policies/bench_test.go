package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// scaleSnapshot builds a synthetic cloud of nVM VMs on nVM/50 KVM hosts (50
// hosts per cluster, two zones) with the tables and host facts every check
// reads, and a sprinkling of faults so the deny rules do real work. It is
// deterministic, so two runs evaluate the same input.
func scaleSnapshot(e *Engine, nVM int) []byte {
	const dbNow = "2026-11-22T10:00:00Z"
	now, _ := time.Parse(time.RFC3339, dbNow)
	ago := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	nHosts := max(nVM/50, 2)
	nClusters := max(nHosts/50, 1)
	db := map[string]map[string]any{}
	add := func(table string, id int, row map[string]any) {
		if db[table] == nil {
			db[table] = map[string]any{}
		}
		row["id"] = id
		db[table][fmt.Sprint(id)] = row
	}
	for z := 1; z <= 2; z++ {
		add("data_center", z, map[string]any{"uuid": fmt.Sprintf("zone-%d", z), "name": fmt.Sprintf("zone-%d", z), "allocation_state": "Enabled", "removed": nil})
		add("image_store", z, map[string]any{"uuid": fmt.Sprintf("store-%d", z), "name": fmt.Sprintf("nfs-%d", z), "data_center_id": z, "role": "Image", "readonly": false,
			"total_size": 100 << 40, "used_bytes": 10 << 40, "removed": nil})
	}
	const msid = 1001
	for m := 1; m <= 3; m++ {
		add("mshost", m, map[string]any{"msid": 1000 + m, "uuid": fmt.Sprintf("ms-%d", m), "name": fmt.Sprintf("ms-%d", m), "state": "Up", "version": "4.22.0.0",
			"service_ip": fmt.Sprintf("10.0.0.%d", m), "last_update": ago(5 * time.Second), "removed": nil})
	}
	add("vm_template", 1, map[string]any{"uuid": "tmpl-1", "name": "systemvm-kvm-4.22.0-x86_64", "type": "SYSTEM", "state": "Active", "removed": nil})
	for z := 1; z <= 2; z++ {
		add("template_store_ref", z, map[string]any{"store_id": z, "template_id": 1, "download_state": "DOWNLOADED", "destroyed": false})
	}
	for c := 1; c <= nClusters; c++ {
		zone := 1 + c%2
		add("cluster", c, map[string]any{"uuid": fmt.Sprintf("cluster-%d", c), "name": fmt.Sprintf("cluster-%d", c), "data_center_id": zone, "pod_id": zone,
			"hypervisor_type": "KVM", "arch": "x86_64", "allocation_state": "Enabled", "removed": nil})
		add("storage_pool", c, map[string]any{"uuid": fmt.Sprintf("pool-%d", c), "name": fmt.Sprintf("pool-%d", c), "status": "Up", "scope": "CLUSTER", "cluster_id": c,
			"data_center_id": zone, "capacity_bytes": 100 << 40, "used_bytes": 40 << 40, "removed": nil})
	}
	for i, ram := range []int{2048, 4096, 8192} {
		add("service_offering", i+1, map[string]any{"uuid": fmt.Sprintf("so-%d", i+1), "name": fmt.Sprintf("so-%d", i+1), "ram_size": ram, "removed": nil})
	}
	hostFacts := map[string]any{}
	domains := make([][]map[string]any, nHosts+1)
	hostZone := func(h int) int { return 1 + (1+(h-1)%nClusters)%2 }
	for h := 1; h <= nHosts; h++ {
		status := "Up"
		if h%100 == 0 {
			status = "Alert"
		}
		c := 1 + (h-1)%nClusters
		add("host", h, map[string]any{"uuid": fmt.Sprintf("host-%d", h), "name": fmt.Sprintf("kvm-%d", h), "type": "Routing", "status": status,
			"resource_state": "Enabled", "cluster_id": c, "data_center_id": hostZone(h), "hypervisor_type": "KVM", "version": "4.22.0.0",
			"ram": int64(512) << 30, "mgmt_server_id": 1000 + 1 + h%3, "private_ip_address": fmt.Sprintf("10.1.%d.%d", h/250, h%250), "removed": nil})
		// Every host has its cluster's pool connected.
		add("storage_pool_host_ref", h, map[string]any{"pool_id": c, "host_id": h})
	}
	// System VMs and their agent rows per zone.
	vmID := 1
	addVM := func(typ, state string, host int, extra map[string]any) int {
		id := vmID
		vmID++
		prefix := map[string]string{"User": "i-2", "DomainRouter": "r", "SecondaryStorageVm": "s", "ConsoleProxy": "v"}[typ]
		name := fmt.Sprintf("%s-%d-VM", prefix, id)
		hostID := any(host)
		if state != "Running" && state != "Stopping" {
			hostID = nil
		}
		row := map[string]any{"uuid": fmt.Sprintf("vm-%d", id), "name": name, "instance_name": name, "type": typ, "state": state,
			"host_id": hostID, "last_host_id": host, "power_host": host, "power_state": "PowerOn", "power_state_update_time": ago(time.Hour),
			"update_time": ago(48 * time.Hour), "data_center_id": hostZone(host), "service_offering_id": 1 + id%3, "ha_enabled": id%10 == 0, "removed": nil}
		if state != "Running" {
			row["power_state"] = "PowerOff"
		}
		for k, v := range extra {
			row[k] = v
		}
		add("vm_instance", id, row)
		add("volumes", id, map[string]any{"uuid": fmt.Sprintf("vol-%d", id), "name": fmt.Sprintf("ROOT-%d", id), "instance_id": id, "pool_id": 1 + (host-1)%nClusters,
			"state": "Ready", "updated": ago(72 * time.Hour), "created": ago(90 * 24 * time.Hour), "removed": nil})
		if state == "Running" || state == "Stopping" {
			domains[host] = append(domains[host], map[string]any{"name": name, "uuid": fmt.Sprintf("vm-%d", id), "state": "running"})
		}
		return id
	}
	for z := 1; z <= 2; z++ {
		for _, t := range []string{"SecondaryStorageVm", "ConsoleProxy"} {
			id := addVM(t, "Running", z, map[string]any{"data_center_id": z})
			add("host", 100000+id, map[string]any{"uuid": fmt.Sprintf("agent-%d", id), "name": db["vm_instance"][fmt.Sprint(id)].(map[string]any)["instance_name"],
				"type": map[string]string{"SecondaryStorageVm": "SecondaryStorageVM", "ConsoleProxy": "ConsoleProxy"}[t], "status": "Up", "data_center_id": z, "removed": nil})
		}
	}
	network := 1
	for vmID <= nVM {
		host := 1 + vmID%nHosts
		switch {
		case vmID%25 == 0: // a redundant router pair on one network
			for k := 0; k < 2; k++ {
				id := addVM("DomainRouter", "Running", 1+(host+k)%nHosts, map[string]any{"ha_enabled": true})
				state := []string{"PRIMARY", "BACKUP"}[k]
				add("domain_router", id, map[string]any{"is_redundant_router": 1, "redundant_state": state, "template_version": "Cloudstack Release 4.22.0 Wed Oct 29 2025",
					"update_state": "UPDATE_COMPLETE", "vpc_id": nil})
				add("router_network_ref", id, map[string]any{"router_id": id, "network_id": network})
				add("router_health_check", id, map[string]any{"router_id": id, "check_name": "dns_check.py", "check_type": "basic", "check_result": "SUCCESS"})
			}
			add("networks", network, map[string]any{"uuid": fmt.Sprintf("net-%d", network), "name": fmt.Sprintf("net-%d", network), "restart_required": false, "removed": nil})
			network++
		case vmID%1000 == 7:
			addVM("User", "Stopping", host, map[string]any{"update_time": ago(3 * time.Hour)})
		case vmID%9 == 8:
			addVM("User", "Stopped", host, nil)
		default:
			addVM("User", "Running", host, nil)
		}
	}
	// libvirt drift for CSA-DRIFT-002: a copy of every 2,000th VM on the next
	// host, the incoming side of a migration and a foreign guest on every
	// 50th host, a domain of every 3,000th Stopped VM.
	for id := 1; id < vmID; id++ {
		row := db["vm_instance"][fmt.Sprint(id)].(map[string]any)
		host := row["last_host_id"].(int)
		dom := map[string]any{"name": row["instance_name"], "uuid": row["uuid"], "state": "running", "reason": "booted"}
		switch {
		case id%2000 == 0 && row["state"] == "Running":
			domains[1+host%nHosts] = append(domains[1+host%nHosts], dom)
		case id%50 == 0 && row["state"] == "Running":
			domains[1+host%nHosts] = append(domains[1+host%nHosts], map[string]any{"name": row["instance_name"], "uuid": row["uuid"], "state": "paused", "reason": "migration"},
				map[string]any{"name": fmt.Sprintf("guest-%d", id), "uuid": fmt.Sprintf("guest-%d", id), "state": "running"})
		case id%3000 == 8 && row["state"] == "Stopped":
			domains[host] = append(domains[host], dom)
		}
	}
	for j := 1; j <= nVM/20; j++ {
		status, ms := 1, msid
		if j%50 == 0 {
			status = 0
		}
		if j%500 == 0 {
			ms = 1009 // an msid nobody has: a job owned by a dead server
		}
		add("async_job", j, map[string]any{"uuid": fmt.Sprintf("job-%d", j), "job_cmd": "org.apache.cloudstack.api.command.user.vm.StartVMCmd", "job_status": status,
			"job_init_msid": ms, "job_executing_msid": ms, "created": ago(time.Duration(j%120) * time.Minute), "removed": nil,
			"instance_type": "VirtualMachine", "instance_id": 1 + (j*7)%nVM})
		if status == 0 {
			add("vm_work_job", j, map[string]any{"vm_instance_id": 1 + (j*7)%nVM, "step": "Starting", "vm_type": "Instance"})
		}
	}
	for w := 1; w <= nVM/1000; w++ {
		add("op_ha_work", w, map[string]any{"instance_id": w * 10, "type": "HA", "step": "Scheduled", "mgmt_server_id": 1000 + 1 + w%4, "host_id": 1 + w%nHosts,
			"created": ago(time.Hour), "reason": "HostDown"})
	}
	for s := 1; s <= nVM/10; s++ {
		add("snapshots", s, map[string]any{"uuid": fmt.Sprintf("snap-%d", s), "name": fmt.Sprintf("snap-%d", s), "status": "BackedUp", "volume_id": s, "created": ago(time.Duration(s%48) * time.Hour), "removed": nil})
	}
	for _, t := range []string{"host_tags", "oobm", "ha_config", "cluster_details"} {
		if db[t] == nil {
			db[t] = map[string]any{}
		}
	}
	for h := 1; h <= nHosts; h++ {
		if h%100 == 0 {
			continue // the Alert hosts were not reachable
		}
		fact := func(v map[string]any) map[string]any { v["collected_at"] = dbNow; return v }
		hostFacts[fmt.Sprintf("host-%d", h)] = map[string]any{
			"host_id": fmt.Sprint(h), "name": fmt.Sprintf("kvm-%d", h),
			"agent":            fact(map[string]any{"state": "active"}),
			"agent_properties": fact(map[string]any{"values": map[string]any{"private.network.device": "cloudbr0", "guest.network.device": "cloudbr1", "reboot.host.and.alert.management.on.heartbeat.timeout": "true"}}),
			"files": fact(map[string]any{"files": map[string]any{
				"/root/.ssh/id_rsa.cloud":                map[string]any{"exists": true, "mode": "0600", "perm": 0o600},
				"/etc/cloudstack/agent/agent.properties": map[string]any{"exists": true, "mode": "0640", "perm": 0o640},
			}}),
			"listeners": fact(map[string]any{"listeners": []any{map[string]any{"address": "0.0.0.0", "port": 22}}, "units": map[string]any{}}),
			"libvirtd":  fact(map[string]any{"values": map[string]any{"listen_tcp": "0", "listen_tls": "1"}}),
			"firewall":  fact(map[string]any{"ports": map[string]any{"22": map[string]any{"verdict": "restricted"}, "16509": map[string]any{"verdict": "closed"}}, "link_local_dropped": false}),
			"interfaces": fact(map[string]any{"links": []any{
				map[string]any{"name": "cloudbr0", "mtu": 9000, "kind": "bridge"}, map[string]any{"name": "cloudbr1", "mtu": 9000, "kind": "bridge"},
			}}),
			"packages":   fact(map[string]any{"versions": map[string]any{"qemu-kvm": "8.2.0", "libvirt": "10.0.0"}}),
			"clock":      fact(map[string]any{"synchronized": true, "offset_ms": 2.0}),
			"ssh":        fact(map[string]any{"rtt_ms": 0.7}),
			"agent_cert": fact(map[string]any{"not_after": "2027-06-01T00:00:00Z"}),
			"cpu":        fact(map[string]any{"model": "AMD EPYC 9354"}),
			"domains":    fact(map[string]any{"source": "libvirt", "domains": domains[h]}),
		}
	}
	settings := map[string]any{}
	for name, def := range map[string]string{
		"cluster.heartbeat.threshold": "150000", "ping.interval": "60", "ping.timeout": "2.5", "job.cancel.threshold.minutes": "60",
		"expunge.delay": "86400", "expunge.interval": "86400", "router.version.check": "true", "minreq.sysvmtemplate.version": "4.22.0",
		"mem.overprovisioning.factor": "1.0", "cpu.overprovisioning.factor": "1.0", "integration.api.port": "", "api.throttling.enabled": "true",
		"system.vm.random.password": "true", "ca.plugin.root.auth.strictness": "true", "ca.plugin.root.allow.expired.cert": "false",
		"enable.secure.session.cookie": "true", "api.allowed.source.cidr.list": "10.0.0.0/8", "allow.user.force.stop.vm": "false",
		"router.health.checks.enabled": "true", "consoleproxy.url.domain": "*.console.example.org", "host": "10.0.0.1,10.0.0.2,10.0.0.3",
		"kvm.ha.fence.on.storage.heartbeat.failure": "true", "pool.storage.capacity.disablethreshold": "0.85",
		"secondary.storage.capacity.threshold": "0.90",
	} {
		settings[name] = map[string]any{"value": nil, "default": def}
	}
	settings["ha.tag"] = map[string]any{"value": nil, "default": nil}
	local := map[string]any{
		"hostname":      "ms-1",
		"files":         map[string]any{"files": map[string]any{}},
		"db_properties": map[string]any{"encryption_type": "file", "encryptor_version": "V2"},
		"java_heap":     map[string]any{"max_mb": 8192},
		"log_disk":      map[string]any{"path": "/var/log/cloudstack", "free_pct": 50.0, "free_bytes": 50 << 30},
		"listeners":     map[string]any{"listeners": []any{}},
	}
	coverage := map[string]any{}
	collectors := map[string]any{}
	for _, ch := range e.Checks() {
		for _, r := range ch.Requires {
			col := collectorFor(r, nil)
			coverage[r] = map[string]any{"collector": col, "selected": true, "collected": []string{"all"}}
			collectors[col] = map[string]any{"selected": true, "ok": true}
		}
	}
	snap := map[string]any{
		"schema": "csaudit.snapshot/v1",
		"meta":   map[string]any{"db_now": dbNow, "collectors": collectors},
		"db":     db, "settings": settings, "hosts": hostFacts, "oobm": map[string]any{}, "local": local,
		"coverage": coverage, "collector_errors": []any{},
	}
	b, err := json.Marshal(snap)
	if err != nil {
		panic(err)
	}
	return b
}

// queryTime evaluates the prepared query once and returns OPA's own eval timer
// (timer_rego_query_eval_ns), the number `opa eval --metrics` reports too.
func queryTime(b testing.TB, e *Engine, in *Input) time.Duration {
	m := metrics.New()
	err := e.withIndex(context.Background(), in, func(txn storage.Transaction) error {
		_, err := e.query.Eval(context.Background(), rego.EvalParsedInput(in.Value), rego.EvalMetrics(m), rego.EvalTransaction(txn))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(m.Timer(metrics.RegoQueryEval).Int64())
}

// BenchmarkScale evaluates every check over generated clouds of 10,000 and
// 100,000 VMs (200 and 2,000 hosts), reports t(100k)/t(10k), and, when the opa
// binary is installed, compares with `opa eval --metrics` on the same policies
// and input in the same run. Run with `make bench`.
func BenchmarkScale(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	perOp := map[int]time.Duration{}
	inputs := map[int][]byte{}
	for _, n := range []int{10000, 100000} {
		raw := scaleSnapshot(e, n)
		inputs[n] = raw
		in, err := ParseInput(raw)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			var f int
			for i := 0; i < b.N; i++ {
				_, fs, err := e.Evaluate(context.Background(), in)
				if err != nil {
					b.Fatal(err)
				}
				f = len(fs)
			}
			perOp[n] = b.Elapsed() / time.Duration(b.N)
			b.StopTimer()
			b.ReportMetric(float64(queryTime(b, e, in).Milliseconds()), "query-ms")
			b.ReportMetric(float64(f), "findings")
		})
	}
	if perOp[10000] > 0 && perOp[100000] > 0 {
		b.Logf("t(100k)/t(10k) = %.2f (%v / %v per Evaluate)", float64(perOp[100000])/float64(perOp[10000]), perOp[100000], perOp[10000])
	}
	compareWithOPA(b, e, inputs[100000])
	// Evaluating every check alone at both sizes roughly doubles the run, so
	// it is opt-in: CSAUDIT_BENCH_PER_CHECK=1 make bench.
	if os.Getenv("CSAUDIT_BENCH_PER_CHECK") != "" {
		superlinearChecks(b, e, inputs)
	}
}

// superlinearChecks evaluates each check alone at both sizes and names those
// whose time grows more than 12x for 10x the VMs: the mark of a nested scan
// (a rule that rescans a table per row). Each time includes the shared lib
// indexes the check needs, so the ratios are conservative.
func superlinearChecks(b *testing.B, e *Engine, inputs map[int][]byte) {
	alone := func(n int) map[string]time.Duration {
		in, err := ParseInput(inputs[n])
		if err != nil {
			b.Fatal(err)
		}
		out := map[string]time.Duration{}
		for _, ch := range e.Checks() {
			q, err := e.prepare(context.Background(), []*Check{ch})
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			err = e.withIndex(context.Background(), in, func(txn storage.Transaction) error {
				_, err := q.Eval(context.Background(), rego.EvalParsedInput(in.Value), rego.EvalTransaction(txn))
				return err
			})
			if err != nil {
				b.Fatalf("%s: %v", ch.ID, err)
			}
			out[ch.ID] = time.Since(start)
		}
		return out
	}
	small, large := alone(10000), alone(100000)
	var slowest []string
	for _, ch := range e.Checks() {
		r := float64(large[ch.ID]) / float64(max(small[ch.ID], time.Microsecond))
		if r > 12 && large[ch.ID] > 100*time.Millisecond {
			b.Logf("superlinear: %s alone %v at 10k, %v at 100k (x%.1f)", ch.ID, small[ch.ID], large[ch.ID], r)
		}
		slowest = append(slowest, ch.ID)
	}
	sort.Slice(slowest, func(i, j int) bool { return large[slowest[i]] > large[slowest[j]] })
	for _, id := range slowest[:min(5, len(slowest))] {
		b.Logf("slowest alone at 100k: %s %v (10k: %v)", id, large[id], small[id])
	}
}

// compareWithOPA runs the opa CLI on the same modules, params and input with
// the same combined query. Skipped when no opa binary is found.
func compareWithOPA(b *testing.B, e *Engine, raw []byte) {
	bin, err := exec.LookPath("opa")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "opa")
		if _, err := os.Stat(bin); err != nil {
			b.Log("opa binary not found: skipping the opa eval comparison (go install github.com/open-policy-agent/opa@v1.22.2)")
			return
		}
	}
	dir := b.TempDir()
	mods, err := EmbeddedModules()
	if err != nil {
		b.Fatal(err)
	}
	var parts []string
	for _, m := range mods {
		if m.Test {
			continue
		}
		p := filepath.Join(dir, "policies", strings.TrimPrefix(m.File, "embedded:"))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(m.Source), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, ch := range e.Checks() {
		parts = append(parts, fmt.Sprintf("%q: data.%s.deny", ch.Package, ch.Package))
	}
	query := "result := {" + strings.Join(parts, ", ") + "}"
	// The same data csaudit evaluates with: params and the index built from
	// the input (its build time is part of csaudit's end to end below).
	in, err := ParseInput(raw)
	if err != nil {
		b.Fatal(err)
	}
	index, err := ast.JSON(in.Index)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"csaudit": map[string]any{"params": e.Params(), "index": index}})
	for name, body := range map[string][]byte{"data.json": data, "input.json": raw} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	cmd := exec.Command(bin, "eval", "--metrics", "--strict-builtin-errors", "-f", "json",
		"-d", filepath.Join(dir, "policies"), "-d", filepath.Join(dir, "data.json"), "-i", filepath.Join(dir, "input.json"), query)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("opa eval: %v: %s", err, stderr.String())
	}
	wall := time.Since(start)
	var res struct {
		Metrics map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		b.Fatalf("opa eval output: %v", err)
	}
	// csaudit end to end: parse the snapshot JSON, evaluate, derive statuses.
	start = time.Now()
	in, err = ParseInput(raw)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := e.Evaluate(context.Background(), in); err != nil {
		b.Fatal(err)
	}
	ours := time.Since(start)
	q := queryTime(b, e, in)
	b.Logf("100k VMs, opa eval: query eval %v (timer_rego_query_eval_ns), end to end %v (process, load, parse, compile, eval)",
		time.Duration(res.Metrics["timer_rego_query_eval_ns"]), wall)
	b.Logf("100k VMs, csaudit: query eval %v (same timer), end to end %v (parse snapshot JSON and build data.csaudit.index + Evaluate; policies compiled once beforehand)", q, ours)
}
