package hosts

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Section names of the batched script, in the order it runs them.
const (
	secClock    = "clock"
	secAgent    = "agent"
	secUnits    = "units"
	secProps    = "props"
	secLibvirtd = "libvirtd"
	secSS       = "ss"
	secIptables = "iptables"
	secIp6      = "ip6tables"
	secNft      = "nft"
	secLink     = "link"
	secAddr     = "addr"
	secFiles    = "files"
	secCert     = "cert"
	secPackages = "packages"
	secCPU      = "cpu"
	secTimeSync = "timesync"
)

// sectionLimits bounds each section's output on the host (head -c) and again
// when it is decoded here. Firewall and link sections are large on hosts with
// security groups and many VM interfaces.
var sectionLimits = map[string]int{
	secClock: 256, secAgent: 4 << 10, secUnits: 4 << 10, secProps: 64 << 10,
	secLibvirtd: 64 << 10, secSS: 1 << 20, secIptables: 8 << 20, secIp6: 8 << 20, secNft: 16 << 20,
	secLink: 8 << 20, secAddr: 4 << 20, secFiles: 16 << 10, secCert: 16 << 10,
	secPackages: 16 << 10, secCPU: 4 << 10, secTimeSync: 16 << 10,
}

// maxScriptOutput caps everything read from one host (base64 included). A
// single section may use its whole limit, but not every section at once:
// 32 hosts in flight at this cap stay under about 1 GiB even when all flood.
const maxScriptOutput = 32 << 20

// Agent-side paths; constants, so nothing configured or read from the database
// reaches the script.
const (
	agentProperties = "/etc/cloudstack/agent/agent.properties"
	agentKeystore   = "/etc/cloudstack/agent/cloud.jks"
	agentCert       = "/etc/cloudstack/agent/cloud.crt"
	cloudSSHKey     = "/root/.ssh/id_rsa.cloud"
	libvirtdConf    = "/etc/libvirt/libvirtd.conf"
)

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

// scriptCommand runs the script from standard input with /bin/sh, whatever
// the user's login shell is (sshd runs the command through it).
const scriptCommand = "exec /bin/sh -s"

// script is the one program sent to a KVM host. Each section prints one line
// "@@csaudit NAME BASE64 RC": the output is cut at the section's limit by head
// on the host and base64-encoded, so no output can forge a section boundary or
// bring non-UTF-8 into the framing. Privileged reads go through r(): for a
// non-root user it runs sudo -n only for a command sudoers allows (sudo -l),
// and otherwise returns 126, so "not allowed" never reads as "file missing".
var script = buildScript()

func buildScript() string {
	var b strings.Builder
	b.WriteString(`exec 4>&1
export LC_ALL=C
s() {
	n=$1; l=$2; shift 2
	printf '@@csaudit %s ' "$n"
	rc=$( { { "$@" 2>/dev/null </dev/null; echo $? >&3; } | head -c "$l" | base64 -w0 >&4; } 3>&1 )
	printf ' %s\n' "$rc"
}
uid=$(id -u)
r() {
	if [ "$uid" = 0 ]; then "$@"; return; fi
	command -v sudo >/dev/null 2>&1 || return 126
	sudo -n -l "$@" >/dev/null 2>&1 || return 126
	sudo -n "$@"
}
test() { if [ "$uid" = 0 ]; then [ "$@" ]; else command test "$@"; fi; }
agent() { systemctl is-active cloudstack-agent 2>&1; }
units() {
	if [ -d /run/systemd/system ]; then echo systemd; else echo no-systemd; return 0; fi
	for u in ` + strings.Join(socketUnits, " ") + `; do
		printf '%s %s %s\n' "$u" "$(systemctl is-enabled "$u" 2>/dev/null)" "$(systemctl is-active "$u" 2>/dev/null)"
	done
}
props() {
	[ -e ` + agentProperties + ` ] || return 2
	r grep -E '` + keyPattern(propertyKeys) + `' ` + agentProperties + `; e=$?
	[ $e -le 1 ] || return $e
}
lvconf() {
	grep -hE '^[[:space:]]*LIBVIRTD_ARGS=' /etc/default/libvirtd /etc/sysconfig/libvirtd 2>/dev/null
	[ -e ` + libvirtdConf + ` ] || return 2; grep -E '` + keyPattern(libvirtdKeys) + `' ` + libvirtdConf + `; [ $? -le 1 ]; }
files() {
	for f in ` + agentProperties + ` ` + agentKeystore + ` ` + cloudSSHKey + ` ` + libvirtdConf + `; do
		r test -e "$f"; e=$?
		case $e in
		0) r stat -c '%a %U %G %n' "$f" || return $? ;;
		1) echo "missing $f" ;;
		*) return $e ;;
		esac
	done
}
cert() { [ -e ` + agentCert + ` ] || return 2; openssl x509 -noout -enddate -subject -issuer -nameopt RFC2253 -in ` + agentCert + `; }
pkgs() {
	if command -v dpkg-query >/dev/null; then
		echo dpkg; dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n' ` + strings.Join(packageNames, " ") + ` 2>/dev/null
	elif command -v rpm >/dev/null; then
		echo rpm; rpm -q --qf '%{NAME}\t%{VERSION}-%{RELEASE}\tii\n' ` + strings.Join(packageNames, " ") + ` | grep -v 'is not installed'
	else return 127; fi
	return 0
}
tsync() {
	if v=$(timedatectl show -p NTPSynchronized --value 2>/dev/null); then echo "timedatectl $v"; return 0; fi
	if command -v chronyc >/dev/null; then echo chronyc; chronyc -n tracking; return; fi
	return 127
}
`)
	b.WriteString("s " + secClock + " " + strconv.Itoa(sectionLimits[secClock]) + " date -u +%s.%N\n")
	for _, sec := range []struct{ name, cmd string }{
		{secAgent, "agent"},
		{secUnits, "units"},
		{secProps, "props"},
		{secLibvirtd, "lvconf"},
		{secSS, "ss -Htlnp"},
		{secIptables, "r iptables-save"},
		{secIp6, "r ip6tables-save"},
		{secNft, "r nft -j list ruleset"},
		{secLink, "ip -j -d link"},
		{secAddr, "ip -j addr"},
		{secFiles, "files"},
		{secCert, "cert"},
		{secPackages, "pkgs"},
		{secCPU, "grep -m1 -E '^(model name|cpu model|Model)[[:space:]]*:' /proc/cpuinfo"},
		{secTimeSync, "tsync"},
	} {
		fmt.Fprintf(&b, "s %s %d %s\n", sec.name, sectionLimits[sec.name]+1, sec.cmd)
	}
	return b.String()
}

// section is one decoded part of the script's output.
type section struct {
	Out       []byte
	RC        int
	Truncated bool
	// NotUTF8: the output is not valid UTF-8. The tools audited print
	// UTF-8 (or ASCII); anything else is not parsed, so no fact carries
	// mangled text.
	NotUTF8 bool
}

var errFraming = errors.New("script output is not in the expected framing")

// splitSections decodes the script's output. Unknown or repeated section names
// and broken framing are errors; the input is never quoted back.
func splitSections(b []byte) (map[string]section, error) {
	out := map[string]section{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		f := strings.Fields(string(line))
		if len(f) < 3 || len(f) > 4 || f[0] != "@@csaudit" {
			return nil, errFraming
		}
		name := f[1]
		limit, ok := sectionLimits[name]
		if !ok {
			return nil, fmt.Errorf("%w: unknown section", errFraming)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%w: section %s repeated", errFraming, name)
		}
		var data []byte
		if len(f) == 4 {
			var err error
			if data, err = base64.StdEncoding.DecodeString(f[2]); err != nil {
				return nil, fmt.Errorf("%w: section %s is not base64", errFraming, name)
			}
		}
		rc, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			return nil, fmt.Errorf("%w: section %s has no exit code", errFraming, name)
		}
		sec := section{Out: data, RC: rc}
		if len(data) > limit {
			sec.Out, sec.Truncated = data[:limit], true
		}
		sec.NotUTF8 = !utf8.Valid(sec.Out)
		out[name] = sec
	}
	return out, nil
}

// maxLine is the longest framed line a section can produce.
var maxLine = func() int {
	m := 0
	for _, l := range sectionLimits {
		m = max(m, (l+3)*4/3+64)
	}
	return m
}()

var framePrefix = []byte("@@csaudit ")

// checkFraming validates script output while it streams in (see capped).
func checkFraming(buf []byte, from int) error {
	start := bytes.LastIndexByte(buf[:from], '\n') + 1
	for {
		line := buf[start:]
		end := bytes.IndexByte(line, '\n')
		if end >= 0 {
			line = line[:end]
		}
		n := min(len(line), len(framePrefix))
		if !bytes.Equal(line[:n], framePrefix[:n]) {
			return errFraming
		}
		limit := maxLine
		if len(line) > len(framePrefix) {
			if name, _, ok := bytes.Cut(line[len(framePrefix):], []byte(" ")); ok {
				l, known := sectionLimits[string(name)]
				if !known {
					return fmt.Errorf("%w: unknown section", errFraming)
				}
				limit = (l+3)*4/3 + 64
			}
		}
		if len(line) > limit {
			return errors.New("a section's output exceeds its limit")
		}
		if end < 0 {
			return nil
		}
		start += end + 1
	}
}

var safePath = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)

// Quote is the one function that puts a configured value (a socket or file
// path) into a host command: it accepts only ^[A-Za-z0-9._/-]+$ and wraps the
// value in single quotes.
func Quote(v string) (string, error) {
	if !safePath.MatchString(v) {
		return "", errors.New("configured path has characters outside [A-Za-z0-9._/-]")
	}
	return "'" + v + "'", nil
}

var safeURI = regexp.MustCompile(`^[a-z0-9+]+://[A-Za-z0-9._/-]*$`)

// QuoteURI is Quote for a libvirt URI (libvirt.uri for the virsh fallback):
// scheme://path with the same character set, single-quoted.
func QuoteURI(v string) (string, error) {
	if !safeURI.MatchString(v) {
		return "", errors.New("configured URI has characters outside scheme://[A-Za-z0-9._/-]")
	}
	return "'" + v + "'", nil
}
