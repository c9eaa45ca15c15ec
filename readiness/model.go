// Package readiness decides whether a host can be put into maintenance, or a
// cluster drained host after host, by simulating CloudStack's own maintenance
// pre-checks and allocator on the target cluster's rows of a snapshot. It is
// Go, not Rego: placement is a stateful search (each VM placed changes the
// capacity the next one sees), which Rego expresses badly.
package readiness

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// Capacity types of op_host_capacity (Capacity.java).
const (
	capMemory = 0
	capCPU    = 1
)

// cloud is the target cluster as the simulation sees it.
type cloud struct {
	snap    *collectors.Snapshot
	cluster *cluster
	hosts   map[string]*host // the cluster's hypervisor hosts by id
	order   []*host          // by numeric id: drain and first-fit order
	vms     map[string]*vm   // VMs on (host_id) or leaving (last_host_id) the cluster's hosts
	onHost  map[string][]*vm // host id -> VMs whose host_id it is
	leaving map[string][]*vm // host id -> VMs Migrating away from it (last_host_id)
	// group members anywhere in the cloud, for affinity: group id -> VM ids.
	groups   map[string]*group
	vmGroups map[string][]*group
	where    map[string]string // affinity member VM id -> host id it runs on
	jobs     map[string][]job  // VM or host id -> pending jobs
	pools    map[string]*pool  // local pools of the cluster's hosts
	dedic    []dedication
	missing  map[string]string // optional table -> why it is unusable
}

type cluster struct {
	id, uuid, name, zone, pod string
}

type host struct {
	id, uuid, name, status, state string
	zone, pod                     string
	cpus, speed                   int64
	tags                          map[string]bool // plain tags; rule tags are not evaluated
	ruleTags                      []string
	// capacity rows: used, reserved, total and whether the row is Enabled.
	cap    [2]capRow
	hasCap [2]bool
	pools  []*pool
}

type capRow struct {
	used, reserved, total int64
	enabled               bool
}

type vm struct {
	id, uuid, name, instance, state, typ string
	hostID, lastHostID                   string
	account, domain                      string
	offering                             string // service offering name, for messages
	hostTags                             []string
	cpu, speed, ramMB                    int64
	sizeErr                              string // why the size is unknown
	localBytes                           int64  // volumes on scope HOST pools
	localPools                           []string
}

func (v *vm) cpuMHz() int64   { return v.cpu * v.speed }
func (v *vm) ramBytes() int64 { return v.ramMB << 20 }

type group struct {
	id, uuid, name, typ string
	members             []string
}

type job struct {
	id, uuid, cmd, instanceType string
	created                     string
}

type pool struct {
	id, uuid, name string
	host           string
	capacity       int64
	allocated      int64 // sum of live volume sizes on it
}

type dedication struct {
	zone, pod, cluster, host string
	account, domain, group   string
}

// idText renders an id-like value; JSON-decoded snapshots hold numbers as
// float64, which fmt would print in exponent form from 1e21 (and Text from 1e6).
func idText(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return collectors.Text(v)
}

// num reads an integer column (int64 from the database, float64 from JSON,
// digits in a string).
func num(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false
		}
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func numOr0(v any) int64 { n, _ := num(v); return n }

func byID[T any](m map[string]T, id func(T) string) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int { return compareIDs(id(a), id(b)) })
	return out
}

// compareIDs orders numeric ids numerically, anything else after them by text.
func compareIDs(a, b string) int {
	na, ea := strconv.ParseInt(a, 10, 64)
	nb, eb := strconv.ParseInt(b, 10, 64)
	switch {
	case ea == nil && eb == nil:
		return cmp.Compare(na, nb)
	case ea == nil:
		return -1
	case eb == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// required are the tables without which nothing can be decided.
var required = []string{"host", "cluster", "vm_instance", "op_host_capacity", "service_offering"}

// usable says why a table cannot be used: absent from the snapshot or failed.
func usable(s *collectors.Snapshot, table string) string {
	if c := s.Coverage["db."+table]; c != nil {
		if why := c.Failed[table]; why != "" {
			return "table " + table + " failed: " + why
		}
	}
	if _, ok := s.DB[table]; !ok {
		return "table " + table + " was not collected"
	}
	return ""
}

// load builds the model of cluster c from s, reading only what concerns it.
func load(s *collectors.Snapshot, c *cluster) (*cloud, error) {
	for _, t := range required {
		if why := usable(s, t); why != "" {
			return nil, fmt.Errorf("snapshot cannot be judged: %s (readiness needs the database collector)", why)
		}
	}
	if len(s.Settings) == 0 {
		return nil, fmt.Errorf("snapshot cannot be judged: settings were not collected (readiness needs the database collector)")
	}
	cl := &cloud{snap: s, cluster: c, hosts: map[string]*host{}, vms: map[string]*vm{}, onHost: map[string][]*vm{},
		leaving: map[string][]*vm{}, groups: map[string]*group{}, vmGroups: map[string][]*group{}, where: map[string]string{},
		jobs: map[string][]job{}, pools: map[string]*pool{}, missing: map[string]string{}}
	for _, t := range []string{"host_tags", "vm_instance_details", "volumes", "storage_pool", "storage_pool_host_ref",
		"affinity_group", "affinity_group_vm_map", "dedicated_resources", "async_job", "vm_work_job"} {
		if why := usable(s, t); why != "" {
			cl.missing[t] = why
		}
	}
	for id, r := range s.DB["host"] {
		if r.Get("removed") != nil || r.Text("type") != "Routing" || idText(r.Get("cluster_id")) != c.id {
			continue
		}
		cl.hosts[id] = &host{id: id, uuid: r.Text("uuid"), name: r.Text("name"), status: r.Text("status"),
			state: r.Text("resource_state"), zone: idText(r.Get("data_center_id")), pod: idText(r.Get("pod_id")),
			cpus: numOr0(r.Get("cpus")), speed: numOr0(r.Get("speed")), tags: map[string]bool{}}
	}
	cl.order = byID(cl.hosts, func(h *host) string { return h.id })
	for _, r := range s.DB["op_host_capacity"] {
		if idText(r.Get("cluster_id")) != c.id {
			continue
		}
		h := cl.hosts[idText(r.Get("host_id"))]
		t, ok := num(r.Get("capacity_type"))
		if h == nil || !ok || t != capMemory && t != capCPU {
			continue
		}
		h.cap[t] = capRow{used: numOr0(r.Get("used_capacity")), reserved: numOr0(r.Get("reserved_capacity")),
			total: numOr0(r.Get("total_capacity")), enabled: r.Text("capacity_state") == "Enabled"}
		h.hasCap[t] = true
	}
	for _, r := range s.DB["host_tags"] {
		h := cl.hosts[idText(r.Get("host_id"))]
		if h == nil {
			continue
		}
		if r.Get("is_tag_a_rule") == true {
			h.ruleTags = append(h.ruleTags, r.Text("tag"))
			continue
		}
		h.tags[strings.TrimSpace(r.Text("tag"))] = true
	}
	cl.loadVMs()
	cl.loadStorage()
	cl.loadGroups()
	cl.loadJobs()
	for _, r := range s.DB["dedicated_resources"] {
		cl.dedic = append(cl.dedic, dedication{zone: idText(r.Get("data_center_id")), pod: idText(r.Get("pod_id")),
			cluster: idText(r.Get("cluster_id")), host: idText(r.Get("host_id")), account: idText(r.Get("account_id")),
			domain: idText(r.Get("domain_id")), group: idText(r.Get("affinity_group_id"))})
	}
	return cl, nil
}

// loadVMs reads the VMs on the cluster's hosts or migrating away from them,
// with their size from the offering or, for custom offerings, vm_instance_details.
func (cl *cloud) loadVMs() {
	s := cl.snap
	for id, r := range s.DB["vm_instance"] {
		if r.Get("removed") != nil {
			continue
		}
		hostID, last := idText(r.Get("host_id")), idText(r.Get("last_host_id"))
		state := r.Text("state")
		_, on := cl.hosts[hostID]
		_, from := cl.hosts[last]
		if !on && !(from && state == "Migrating") {
			continue
		}
		v := &vm{id: id, uuid: r.Text("uuid"), name: r.Text("name"), instance: r.Text("instance_name"), state: state,
			typ: r.Text("type"), hostID: hostID, lastHostID: last, account: idText(r.Get("account_id")), domain: idText(r.Get("domain_id"))}
		if on {
			cl.onHost[hostID] = append(cl.onHost[hostID], v)
		}
		if from && state == "Migrating" && last != hostID {
			cl.leaving[last] = append(cl.leaving[last], v)
		}
		cl.vms[id] = v
		so := idText(r.Get("service_offering_id"))
		o, ok := s.DB["service_offering"][so]
		if !ok {
			v.sizeErr = "service offering " + so + " not found"
			continue
		}
		v.offering = o.Text("name")
		if t := strings.TrimSpace(o.Text("host_tag")); t != "" {
			for _, tag := range strings.Split(t, ",") {
				if tag = strings.TrimSpace(tag); tag != "" {
					v.hostTags = append(v.hostTags, tag)
				}
			}
		}
		v.cpu, _ = num(o.Get("cpu"))
		v.speed, _ = num(o.Get("speed"))
		v.ramMB, _ = num(o.Get("ram_size"))
	}
	if _, bad := cl.missing["vm_instance_details"]; !bad {
		for _, r := range s.DB["vm_instance_details"] {
			v := cl.vms[idText(r.Get("vm_id"))]
			if v == nil {
				continue
			}
			n, err := strconv.ParseInt(strings.TrimSpace(r.Text("value")), 10, 64)
			if err != nil {
				continue
			}
			switch r.Text("name") {
			case "CpuNumber":
				v.cpu = n
			case "CpuSpeed":
				v.speed = n
			case "memory":
				v.ramMB = n
			}
		}
	}
	for _, v := range cl.vms {
		if v.sizeErr == "" && (v.cpu <= 0 || v.speed <= 0 || v.ramMB <= 0) {
			v.sizeErr = fmt.Sprintf("offering %q gives no CPU count, speed or memory and vm_instance_details has none", v.offering)
			if _, bad := cl.missing["vm_instance_details"]; bad {
				v.sizeErr += " (" + cl.missing["vm_instance_details"] + ")"
			}
		}
	}
	for _, vs := range cl.onHost {
		slices.SortFunc(vs, func(a, b *vm) int { return compareIDs(a.id, b.id) })
	}
	for _, vs := range cl.leaving {
		slices.SortFunc(vs, func(a, b *vm) int { return compareIDs(a.id, b.id) })
	}
}

// loadStorage finds the VMs' volumes on local (scope HOST) pools and the
// cluster hosts' local pools with what is allocated on them.
func (cl *cloud) loadStorage() {
	s := cl.snap
	if cl.missing["storage_pool"] != "" || cl.missing["volumes"] != "" {
		return
	}
	local := map[string]*pool{}
	for id, r := range s.DB["storage_pool"] {
		if r.Get("removed") != nil || !strings.EqualFold(r.Text("scope"), "HOST") {
			continue
		}
		local[id] = &pool{id: id, uuid: r.Text("uuid"), name: r.Text("name"), capacity: numOr0(r.Get("capacity_bytes"))}
	}
	if cl.missing["storage_pool_host_ref"] == "" {
		for _, r := range s.DB["storage_pool_host_ref"] {
			p, h := local[idText(r.Get("pool_id"))], cl.hosts[idText(r.Get("host_id"))]
			if p != nil && h != nil {
				p.host = h.id
				h.pools = append(h.pools, p)
				cl.pools[p.id] = p
			}
		}
	}
	for _, r := range s.DB["volumes"] {
		if r.Get("removed") != nil {
			continue
		}
		pid := idText(r.Get("pool_id"))
		p := local[pid]
		if p == nil {
			continue
		}
		size := numOr0(r.Get("size"))
		p.allocated += size
		if v := cl.vms[idText(r.Get("instance_id"))]; v != nil {
			v.localBytes += size
			if !slices.Contains(v.localPools, pid) {
				v.localPools = append(v.localPools, pid)
			}
		}
	}
}

// loadGroups reads the affinity groups of the cluster's VMs and where their
// other members run.
func (cl *cloud) loadGroups() {
	s := cl.snap
	if cl.missing["affinity_group"] != "" || cl.missing["affinity_group_vm_map"] != "" {
		return
	}
	wanted := map[string]bool{}
	for _, r := range s.DB["affinity_group_vm_map"] {
		if cl.vms[idText(r.Get("instance_id"))] != nil {
			wanted[idText(r.Get("affinity_group_id"))] = true
		}
	}
	if len(wanted) == 0 {
		return
	}
	for _, r := range s.DB["affinity_group_vm_map"] {
		gid := idText(r.Get("affinity_group_id"))
		if !wanted[gid] {
			continue
		}
		g := cl.groups[gid]
		if g == nil {
			a := s.DB["affinity_group"][gid]
			g = &group{id: gid, uuid: a.Text("uuid"), name: a.Text("name"), typ: a.Text("type")}
			cl.groups[gid] = g
		}
		vid := idText(r.Get("instance_id"))
		g.members = append(g.members, vid)
		cl.vmGroups[vid] = append(cl.vmGroups[vid], g)
	}
	for _, g := range cl.groups {
		slices.SortFunc(g.members, compareIDs)
		for _, m := range g.members {
			if r, ok := s.DB["vm_instance"][m]; ok && r.Get("removed") == nil {
				if h := idText(r.Get("host_id")); h != "" {
					cl.where[m] = h
				}
			}
		}
	}
	for _, gs := range cl.vmGroups {
		slices.SortFunc(gs, func(a, b *group) int { return compareIDs(a.id, b.id) })
	}
}

// vmJobTypes are async_job.instance_type values that name a VM.
var vmJobTypes = map[string]bool{"VirtualMachine": true, "DomainRouter": true, "ConsoleProxy": true, "SystemVm": true,
	"SecondaryStorageVm": true, "InternalLbVm": true, "Instance": true}

// loadJobs finds IN_PROGRESS jobs on the cluster's hosts and VMs: API jobs by
// instance, and VM work jobs (vm_work_job) whose async_job is still running.
func (cl *cloud) loadJobs() {
	s := cl.snap
	if cl.missing["async_job"] != "" {
		return
	}
	running := map[string]collectors.Row{}
	for id, r := range s.DB["async_job"] {
		if st, ok := num(r.Get("job_status")); !ok || st != 0 || r.Get("removed") != nil {
			continue
		}
		running[id] = r
		it, iid := r.Text("instance_type"), idText(r.Get("instance_id"))
		switch {
		case it == "Host" && cl.hosts[iid] != nil, vmJobTypes[it] && cl.vms[iid] != nil:
			cl.jobs[iid] = append(cl.jobs[iid], jobOf(id, r))
		}
	}
	if cl.missing["vm_work_job"] == "" {
		for id, r := range s.DB["vm_work_job"] {
			vid := idText(r.Get("vm_instance_id"))
			a, ok := running[id]
			if !ok || cl.vms[vid] == nil || (vmJobTypes[a.Text("instance_type")] && idText(a.Get("instance_id")) == vid) {
				continue
			}
			cl.jobs[vid] = append(cl.jobs[vid], jobOf(id, a))
		}
	}
	for _, js := range cl.jobs {
		slices.SortFunc(js, func(a, b job) int { return compareIDs(a.id, b.id) })
	}
}

func jobOf(id string, r collectors.Row) job {
	return job{id: id, uuid: r.Text("uuid"), cmd: r.Text("job_cmd"), instanceType: r.Text("instance_type"), created: r.Text("created")}
}

// setting is the effective value of a setting for the cluster: its override
// at scope (cluster, zone) when one is set, else the global value, else the
// default. ok is false when the snapshot does not know the setting.
func (cl *cloud) setting(name, scope, scopeID string) (string, bool) {
	st, ok := cl.snap.Settings[name]
	if !ok {
		return "", false
	}
	if v, ok := st.Overrides[scope][scopeID]; ok && scope != "" {
		return v, true
	}
	if st.Value != nil {
		return *st.Value, true
	}
	if st.Default != nil {
		return *st.Default, true
	}
	return "", true
}

// factor is a numeric setting for the cluster.
func (cl *cloud) factor(name string) (float64, error) {
	v, ok := cl.setting(name, "cluster", cl.cluster.id)
	if !ok {
		return 0, fmt.Errorf("setting %s is not in the snapshot", name)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, fmt.Errorf("setting %s has no usable value for cluster %s", name, cl.cluster.name)
	}
	return f, nil
}
