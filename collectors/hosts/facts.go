package hosts

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// Coverage fact names this collector reports.
const (
	FactAgent      = "hosts.agent"
	FactProperties = "hosts.agent_properties"
	FactFiles      = "hosts.files"
	FactListeners  = "hosts.listeners"
	FactLibvirtd   = "hosts.libvirtd"
	FactFirewall   = "hosts.firewall"
	FactInterfaces = "hosts.interfaces"
	FactPackages   = "hosts.packages"
	FactClock      = "hosts.clock"
	FactSSH        = "hosts.ssh"
	FactCert       = "hosts.agent_cert"
	FactCPU        = "hosts.cpu"
)

// Section names of the batched script (the "@@csaudit NAME" framing).
const (
	SectionClock    = "clock"
	SectionTimeSync = "timesync"
	SectionAgent    = "agent"
	SectionUnits    = "units"
	SectionSS       = "ss"
	SectionLibvirtd = "libvirtd"
	SectionIptables = "iptables"
	SectionIp6      = "ip6tables"
	SectionNft      = "nft"
	SectionProps    = "props"
	SectionLink     = "link"
	SectionAddr     = "addr"
	SectionFiles    = "files"
	SectionCert     = "cert"
	SectionPackages = "packages"
	SectionCPU      = "cpu"
)

// Table is the host fact table. The script (sections in this order), the
// output caps, the parse loop, the coverage facts, the sudoers drop-in and
// the test renderer's order all follow from it; adding a fact is adding a
// row, its parser and its snapshot field. The clock runs first: its output
// line times the host's clock.
var Table = []Fact{
	newFact(FactClock, func(h *collectors.HostFacts) **collectors.ClockFact { return &h.Clock }, clockFact,
		Section{Name: SectionClock, Run: "date -u +%s.%N", Cap: 256},
		Section{Name: SectionTimeSync, Run: "tsync", Cap: 16 << 10, Func: `tsync() {
	if v=$(timedatectl show -p NTPSynchronized --value 2>/dev/null); then echo "timedatectl $v"; return 0; fi
	if command -v chronyc >/dev/null; then echo chronyc; chronyc -n tracking; return; fi
	return 127
}`}),
	// systemctl is-active answers with its exit code (3: inactive).
	newFact(FactAgent, func(h *collectors.HostFacts) **collectors.AgentFact { return &h.Agent }, agentFact,
		Section{Name: SectionAgent, Run: "agent", Cap: 4 << 10, AnyExit: true,
			Func: `agent() { systemctl is-active cloudstack-agent 2>&1; }`}),
	newFact(FactListeners, func(h *collectors.HostFacts) **collectors.ListenersFact { return &h.Listeners }, listenersFact,
		Section{Name: SectionUnits, Run: "units", Cap: 4 << 10, Func: `units() {
	if [ -d /run/systemd/system ]; then echo systemd; else echo no-systemd; return 0; fi
	for u in ` + strings.Join(socketUnits, " ") + `; do
		printf '%s %s %s\n' "$u" "$(systemctl is-enabled "$u" 2>/dev/null)" "$(systemctl is-active "$u" 2>/dev/null)"
	done
}`},
		Section{Name: SectionSS, Run: "ss -Htlnp", Cap: 1 << 20}),
	// The libvirtd section returns 2 when libvirtd.conf does not exist.
	newFact(FactLibvirtd, func(h *collectors.HostFacts) **collectors.LibvirtdConfFact { return &h.Libvirtd }, libvirtdFact,
		Section{Name: SectionLibvirtd, Run: "lvconf", Cap: 64 << 10, Exits: []int{2}, Func: `lvconf() {
	grep -hE '^[[:space:]]*LIBVIRTD_ARGS=' /etc/default/libvirtd /etc/sysconfig/libvirtd 2>/dev/null
	[ -e ` + libvirtdConf + ` ] || return 2; grep -E '` + keyPattern(libvirtdKeys) + `' ` + libvirtdConf + `; [ $? -le 1 ]; }`}),
	// Firewall sections are large on hosts with security groups; the
	// interpreter reads their exit codes (127: tool not installed).
	newFact(FactFirewall, func(h *collectors.HostFacts) **collectors.FirewallFact { return &h.Firewall }, firewallFactOf,
		Section{Name: SectionIptables, Run: "r iptables-save", Cap: 8 << 20, AnyExit: true, Sudo: []string{"/usr/sbin/iptables-save"}},
		Section{Name: SectionIp6, Run: "r ip6tables-save", Cap: 8 << 20, AnyExit: true, Sudo: []string{"/usr/sbin/ip6tables-save"}},
		Section{Name: SectionNft, Run: "r nft -j list ruleset", Cap: 16 << 20, AnyExit: true, Sudo: []string{"/usr/sbin/nft -j list ruleset"}}),
	// The props section returns 2 when agent.properties does not exist. Only
	// allowlisted keys leave the host (grep runs there).
	newFact(FactProperties, func(h *collectors.HostFacts) **collectors.PropertiesFact { return &h.Properties }, propertiesFact,
		Section{Name: SectionProps, Run: "props", Cap: 64 << 10, Exits: []int{2},
			Sudo: []string{"/usr/bin/grep -E " + keyPattern(propertyKeys) + " " + agentProperties}, Func: `props() {
	[ -e ` + agentProperties + ` ] || return 2
	r grep -E '` + keyPattern(propertyKeys) + `' ` + agentProperties + `; e=$?
	[ $e -le 1 ] || return $e
}`}),
	// Link sections are large on hosts with many VM interfaces.
	newFact(FactInterfaces, func(h *collectors.HostFacts) **collectors.InterfacesFact { return &h.Interfaces }, interfacesFact,
		Section{Name: SectionLink, Run: "ip -j -d link", Cap: 8 << 20},
		Section{Name: SectionAddr, Run: "ip -j addr", Cap: 4 << 20}),
	newFact(FactFiles, func(h *collectors.HostFacts) **collectors.FilesFact { return &h.Files }, filesFact,
		Section{Name: SectionFiles, Run: "files", Cap: 16 << 10, Sudo: filesSudo(), Func: `files() {
	for f in ` + strings.Join(auditedFiles, " ") + `; do
		r test -e "$f"; e=$?
		case $e in
		0) r stat -c '%a %U %G %n' "$f" || return $? ;;
		1) echo "missing $f" ;;
		*) return $e ;;
		esac
	done
}`}),
	// The cert section returns 2 when the agent certificate does not exist.
	newFact(FactCert, func(h *collectors.HostFacts) **collectors.CertFact { return &h.Cert }, certFact,
		Section{Name: SectionCert, Run: "cert", Cap: 16 << 10, Exits: []int{2},
			Func: `cert() { [ -e ` + agentCert + ` ] || return 2; openssl x509 -noout -enddate -subject -issuer -nameopt RFC2253 -in ` + agentCert + `; }`}),
	newFact(FactPackages, func(h *collectors.HostFacts) **collectors.PackagesFact { return &h.Packages }, packagesFact,
		Section{Name: SectionPackages, Run: "pkgs", Cap: 16 << 10, Func: `pkgs() {
	if command -v dpkg-query >/dev/null; then
		echo dpkg; dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n' ` + strings.Join(packageNames, " ") + ` 2>/dev/null
	elif command -v rpm >/dev/null; then
		echo rpm; rpm -q --qf '%{NAME}\t%{VERSION}-%{RELEASE}\tii\n' ` + strings.Join(packageNames, " ") + ` | grep -v 'is not installed'
	else return 127; fi
	return 0
}`}),
	newFact(FactCPU, func(h *collectors.HostFacts) **collectors.CPUFact { return &h.CPU }, cpuFact,
		Section{Name: SectionCPU, Run: "grep -m1 -E '^(model name|cpu model|Model)[[:space:]]*:' /proc/cpuinfo", Cap: 4 << 10}),
	// The SSH fact is the connection itself: no section.
	newFact(FactSSH, func(h *collectors.HostFacts) **collectors.SSHFact { return &h.SSH }, sshFact),
}

// Facts lists every coverage fact of the hosts collector, in table order.
var Facts = factNames(Table)

// Section is one command of the batched script.
type Section struct {
	// Name frames the section's output: "@@csaudit NAME BASE64 RC".
	Name string
	// Run is the command the section runs: constant text, calling Func or a
	// tool; nothing configured or read from the database reaches it.
	Run string
	// Func, when set, is a shell function the script defines before any
	// section runs.
	Func string
	// Cap bounds the section's output on the host (head -c) and again when
	// it is decoded here.
	Cap int
	// Exits are the exit codes besides 0 whose output the parser takes (2:
	// the file does not exist). AnyExit: the parser reads every exit code
	// itself (it takes the section with input.raw, not input.data), so no
	// exit code fails the section before it is parsed.
	Exits   []int
	AnyExit bool
	// Sudo lists the commands the section runs through r() (as root, or
	// for another user through sudo), as the sudoers drop-in names them.
	Sudo []string
}

// Fact is one row of the host fact table: a coverage fact, the sections it
// is read from, and the parser that fills its snapshot field.
type Fact struct {
	Name     string
	Sections []Section
	fill     func(in *input, h *collectors.HostFacts) error
}

// newFact ties a parser to the snapshot field it fills. A parser may return
// a fact and an error together: the fact stays as evidence and the error
// fails the coverage for that host (checks then report error, never a pass).
func newFact[T any](name string, field func(*collectors.HostFacts) **T, parse func(*input) (*T, error), secs ...Section) Fact {
	return Fact{Name: name, Sections: secs, fill: func(in *input, h *collectors.HostFacts) error {
		v, err := parse(in)
		if v != nil {
			*field(h) = v
		}
		return err
	}}
}

func factNames(table []Fact) []string {
	out := make([]string, len(table))
	for i, f := range table {
		out[i] = f.Name
	}
	return out
}

// Agent-side paths; constants, so nothing configured or read from the database
// reaches the script.
const (
	agentProperties = "/etc/cloudstack/agent/agent.properties"
	agentKeystore   = "/etc/cloudstack/agent/cloud.jks"
	agentCert       = "/etc/cloudstack/agent/cloud.crt"
	cloudSSHKey     = "/root/.ssh/id_rsa.cloud"
	libvirtdConf    = "/etc/libvirt/libvirtd.conf"
)

// auditedFiles are the files whose mode and ownership are recorded.
var auditedFiles = []string{agentProperties, agentKeystore, cloudSSHKey, libvirtdConf}

func filesSudo() []string {
	var cmds []string
	for _, f := range auditedFiles {
		cmds = append(cmds, "/usr/bin/test -e "+f, "/usr/bin/stat -c %a %U %G %n "+f)
	}
	return cmds
}

// propertyKeys is the agent.properties allowlist. Only these keys leave the
// host (grep runs there), and parseProps filters again.
var propertyKeys = []string{
	"host", "port", "cluster", "pod", "zone", "guid", "resource", "workers",
	"hypervisor.type", "hypervisor.uri", "network.bridge.type",
	"private.network.device", "public.network.device", "guest.network.device",
	"network.direct.source.mode", "network.direct.device",
	"local.storage.uuid", "local.storage.path",
	"guest.cpu.mode", "guest.cpu.model", "guest.cpu.features",
	"host.reserved.mem.mb", "host.overcommit.mem.mb",
	"reboot.host.and.alert.management.on.heartbeat.timeout",
	"kvm.heartbeat.update.timeout", "kvm.heartbeat.update.max.tries",
	"kvm.heartbeat.update.retry.sleep", "kvm.heartbeat.checker.timeout",
	"ping.retries", "vm.migrate.speed", "libvirt.vif.driver",
}

// libvirtdKeys are the libvirtd.conf keys that decide remote access, plus
// LIBVIRTD_ARGS from /etc/default or /etc/sysconfig (--listen turns the
// listen_* keys on where socket activation is not used).
var libvirtdKeys = []string{"LIBVIRTD_ARGS",
	"listen_tcp", "listen_tls", "listen_addr", "tcp_port", "tls_port",
	"auth_tcp", "auth_tls", "auth_unix_ro", "auth_unix_rw",
	"unix_sock_ro_perms", "unix_sock_rw_perms", "unix_sock_group",
}

// socketUnits are the systemd units that make libvirt listen on TCP.
var socketUnits = []string{
	"libvirtd-tcp.socket", "libvirtd-tls.socket", "virtproxyd-tcp.socket", "virtproxyd-tls.socket",
}

// packageNames are the versions worth recording, under Debian and RPM names.
var packageNames = []string{
	"cloudstack-agent", "qemu-kvm", "qemu-system-x86", "qemu-system-x86-64", "libvirt-daemon",
	"libvirt-daemon-system", "libvirt0", "libvirt-libs", "libvirt",
}

// keyPattern builds the host-side grep pattern for a key allowlist.
func keyPattern(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strings.ReplaceAll(k, ".", "[.]")
	}
	return "^[[:space:]]*(" + strings.Join(q, "|") + ")[[:space:]]*[=:]"
}

// The parsers of the table's rows. Each reads its sections from in and
// returns its fact; failure texts name the tool, never quote the output.

func agentFact(in *input) (*collectors.AgentFact, error) {
	s, ok := in.raw(SectionAgent)
	switch {
	case !ok:
		return nil, errors.New("systemctl: section missing")
	case s.NotUTF8:
		return nil, fmt.Errorf("systemctl: %w", errNotUTF8)
	}
	st, err := parseAgent(s.Out, s.RC)
	if err != nil {
		return nil, fmt.Errorf("systemctl: %w", err)
	}
	return &collectors.AgentFact{FactMeta: in.meta, State: st}, nil
}

// propertiesFact: a missing agent.properties fails the fact rather than
// recording an empty map as if the file were empty.
func propertiesFact(in *input) (*collectors.PropertiesFact, error) {
	b, rc, err := in.data(SectionProps)
	switch {
	case err != nil:
		return nil, fmt.Errorf("agent.properties: %w", err)
	case rc == 2:
		return nil, errors.New("agent.properties: " + agentProperties + " does not exist")
	}
	return &collectors.PropertiesFact{FactMeta: in.meta, Values: parseProps(b)}, nil
}

// libvirtdFact: without libvirtd.conf libvirtd runs on its defaults (plus
// LIBVIRTD_ARGS), so the fact is kept with a note.
func libvirtdFact(in *input) (*collectors.LibvirtdConfFact, error) {
	b, rc, err := in.data(SectionLibvirtd)
	if err != nil {
		return nil, fmt.Errorf("libvirtd.conf: %w", err)
	}
	lv := &collectors.LibvirtdConfFact{FactMeta: in.meta, Values: parseLibvirtdConf(b)}
	if rc == 2 {
		lv.Error = libvirtdConf + " does not exist"
	}
	return lv, nil
}

// listenersFact: the socket units only add detail; without them the
// listeners still stand.
func listenersFact(in *input) (*collectors.ListenersFact, error) {
	var units map[string]string
	if b, _, err := in.data(SectionUnits); err == nil {
		if _, u, err := parseUnits(b); err == nil {
			units = u
		}
	}
	b, _, err := in.data(SectionSS)
	if err != nil {
		return nil, fmt.Errorf("ss: %w", err)
	}
	ls, err := parseSS(b)
	if err != nil {
		return nil, fmt.Errorf("ss: %w", err)
	}
	return &collectors.ListenersFact{FactMeta: in.meta, Listeners: ls, Units: units}, nil
}

// firewallFactOf keeps the verdicts as evidence, but a port the interpreter
// could not decide fails the fact for this host: its checks then report
// error, never a pass.
func firewallFactOf(in *input) (*collectors.FirewallFact, error) {
	sec := func(name string) *section {
		if s, ok := in.raw(name); ok {
			return &s
		}
		return nil
	}
	fw, err := firewallFact(sec(SectionIptables), sec(SectionNft), sec(SectionIp6))
	if err != nil {
		return nil, fmt.Errorf("firewall: %w", err)
	}
	fw.FactMeta = in.meta
	if why := indeterminate(fw); why != "" {
		return fw, errors.New("indeterminate: " + why)
	}
	return fw, nil
}

// interfacesFact: without `ip -j addr` the links carry no addresses; with
// mangled text they are not trusted at all.
func interfacesFact(in *input) (*collectors.InterfacesFact, error) {
	lb, _, err := in.data(SectionLink)
	if err != nil {
		return nil, fmt.Errorf("ip link: %w", err)
	}
	ab, _, aerr := in.data(SectionAddr)
	if errors.Is(aerr, errNotUTF8) {
		return nil, fmt.Errorf("ip addr: %w", aerr)
	}
	links, err := parseLinks(lb, ab)
	if err != nil {
		return nil, fmt.Errorf("ip: %w", err)
	}
	return &collectors.InterfacesFact{FactMeta: in.meta, Links: links}, nil
}

func filesFact(in *input) (*collectors.FilesFact, error) {
	b, _, err := in.data(SectionFiles)
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	fs, err := parseFiles(b)
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	return &collectors.FilesFact{FactMeta: in.meta, Files: fs}, nil
}

func certFact(in *input) (*collectors.CertFact, error) {
	b, rc, err := in.data(SectionCert)
	switch {
	case err != nil:
		return nil, fmt.Errorf("agent certificate: %w", err)
	case rc == 2:
		return nil, errors.New("agent certificate: " + agentCert + " does not exist")
	}
	cf, err := parseCert(b)
	if err != nil {
		return nil, fmt.Errorf("agent certificate: %w", err)
	}
	cf.FactMeta = in.meta
	return cf, nil
}

func packagesFact(in *input) (*collectors.PackagesFact, error) {
	b, _, err := in.data(SectionPackages)
	if err != nil {
		return nil, fmt.Errorf("packages: %w", err)
	}
	mgr, vs, err := parsePackages(b)
	if err != nil {
		return nil, fmt.Errorf("packages: %w", err)
	}
	return &collectors.PackagesFact{FactMeta: in.meta, Manager: mgr, Versions: vs}, nil
}

func cpuFact(in *input) (*collectors.CPUFact, error) {
	b, _, err := in.data(SectionCPU)
	if err != nil {
		return nil, fmt.Errorf("cpuinfo: %w", err)
	}
	m, err := parseCPU(b)
	if err != nil {
		return nil, fmt.Errorf("cpuinfo: %w", err)
	}
	return &collectors.CPUFact{FactMeta: in.meta, Model: m}, nil
}

// clockFact: the clock section runs first and is the first output line: the
// host read its clock about half a round trip before that line arrived. That
// gives the offset against the auditor's clock (±RTT/2); the database
// collector's offset against the same clock (±its own half round trip) is
// subtracted, so offset_ms is against the database's clock.
func clockFact(in *input) (*collectors.ClockFact, error) {
	b, _, err := in.data(SectionClock)
	if err != nil {
		return nil, fmt.Errorf("date: %w", err)
	}
	ht, err := parseClock(b)
	if err != nil {
		return nil, fmt.Errorf("date: %w", err)
	}
	cf := &collectors.ClockFact{FactMeta: in.meta, Reference: "auditor"}
	at := in.conn.FirstLine.Add(-in.conn.RTT / 2)
	if in.conn.FirstLine.IsZero() {
		at = in.start.Add(in.conn.RTT * 3 / 2)
	}
	cf.OffsetMS = float64(ht.Sub(at.Round(0)).Microseconds()) / 1000
	if b, _, err := in.data(SectionTimeSync); err == nil {
		if syn, _, err := parseTimeSync(b); err == nil {
			cf.Synchronized = syn
		}
	}
	switch {
	case in.ref.dbOffsetMS != nil:
		cf.OffsetMS = math.Round((cf.OffsetMS-*in.ref.dbOffsetMS)*1000) / 1000
		cf.Reference = "database"
	case in.ref.dbSelected:
		// Kept as evidence; the skew against the database is unknown.
		return cf, errors.New("database clock unknown: offset_ms is against the auditor's clock")
	}
	return cf, nil
}

func sshFact(in *input) (*collectors.SSHFact, error) {
	f := &collectors.SSHFact{FactMeta: in.meta, RTTMS: float64(in.conn.RTT.Microseconds()) / 1000}
	if in.conn.NewKey != "" {
		f.Error = "host key was not in known_hosts and was accepted (ssh.accept_new_host_keys): " + in.conn.NewKey
	}
	return f, nil
}

var errNotUTF8 = errors.New("output is not valid UTF-8")

// indeterminate names the audited ports (IPv4 and IPv6) whose verdict is
// indeterminate, with the interpreter's reasons; "" when every port is decided.
func indeterminate(fw *collectors.FirewallFact) string {
	var out []string
	for _, fam := range []struct {
		name  string
		ports map[string]collectors.PortVerdict
	}{{"IPv4", fw.Ports}, {"IPv6", fw.Ports6}} {
		for _, p := range AuditedPorts {
			if v, ok := fam.ports[strconv.Itoa(p)]; ok && v.Verdict == VerdictIndeterminate {
				out = append(out, fmt.Sprintf("port %d (%s): %s", p, fam.name, v.Reason))
			}
		}
	}
	return strings.Join(out, "; ")
}
