package hosts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/csaudit/csaudit/collectors"
)

// Agent states as recorded in the snapshot.
const (
	StateActive           = "active"
	StateInactive         = "inactive"
	StateFailed           = "failed"
	StateUnknownNoSystemd = "unknown-no-systemd"
	StateUnknownChroot    = "unknown-chroot"
)

// parseAgent reads `systemctl is-active cloudstack-agent 2>&1`. Without
// systemd as PID 1 systemctl prints a bus error with rc 1, which must not be
// read as "inactive" (rc 3 on a real host). In a chroot (or with
// SYSTEMD_OFFLINE=1) it refuses with exit 0, which must not be read as
// "active": "Running in chroot, ignoring command 'is-active'" (systemd 252;
// older ones say "ignoring request.").
func parseAgent(b []byte, rc int) (string, error) {
	first, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if strings.Contains(first, "Running in chroot, ignoring ") {
		return StateUnknownChroot, nil
	}
	switch first {
	case "active", "inactive", "failed", "activating", "deactivating", "reloading", "maintenance":
		return first, nil
	case "unknown":
		// is-active prints "unknown" for a unit that is not loaded.
		return "not-installed", nil
	}
	if rc == 127 || bytes.Contains(b, []byte("not been booted with systemd")) || bytes.Contains(b, []byte("Failed to connect to bus")) {
		return StateUnknownNoSystemd, nil
	}
	return "", fmt.Errorf("systemctl gave an unrecognised answer (exit %d)", rc)
}

// parseUnits reads the units section: a systemd/no-systemd line, then
// "unit enabled-state active-state" per socket unit.
func parseUnits(b []byte) (systemd bool, units map[string]string, err error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	switch lines[0] {
	case "systemd":
		systemd = true
	case "no-systemd":
	default:
		return false, nil, errors.New("units section has no systemd marker")
	}
	units = map[string]string{}
	if !systemd {
		// The script asks systemctl nothing without systemd.
		for _, u := range socketUnits {
			units[u] = StateUnknownNoSystemd
		}
		return false, units, nil
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 0 || !slices.Contains(socketUnits, f[0]) {
			continue
		}
		en, act := "unknown", "unknown"
		if len(f) > 1 {
			en = f[1]
		}
		if len(f) > 2 {
			act = f[2]
		}
		units[f[0]] = en + "/" + act
	}
	return systemd, units, nil
}

// parseKeyValues reads key=value (or key: value) lines and keeps only the
// allowlisted keys, so a secret never survives this function even if the host
// sent it. Values lose surrounding quotes and trailing # comments when quoted.
func parseKeyValues(b []byte, allow []string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' || l[0] == '!' {
			continue
		}
		i := strings.IndexAny(l, "=:")
		if i < 0 {
			continue
		}
		k, v := strings.TrimSpace(l[:i]), strings.TrimSpace(l[i+1:])
		if !slices.Contains(allow, k) {
			continue
		}
		if len(v) >= 2 && v[0] == '"' {
			if j := strings.IndexByte(v[1:], '"'); j >= 0 {
				v = v[1 : j+1]
			}
		}
		out[k] = v
	}
	return out
}

func parseProps(b []byte) map[string]string { return parseKeyValues(b, propertyKeys) }

func parseLibvirtdConf(b []byte) map[string]string { return parseKeyValues(b, libvirtdKeys) }

// parseSS reads `ss -Htlnp`.
func parseSS(b []byte) ([]collectors.Listener, error) {
	var out []collectors.Listener
	for n, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if len(f) < 5 || f[0] != "LISTEN" {
			return nil, fmt.Errorf("ss line %d: unexpected format", n+1)
		}
		local := f[3]
		i := strings.LastIndexByte(local, ':')
		if i < 0 {
			return nil, fmt.Errorf("ss line %d: local address without port", n+1)
		}
		port, err := strconv.Atoi(local[i+1:])
		if err != nil {
			return nil, fmt.Errorf("ss line %d: port is not a number", n+1)
		}
		addr := strings.Trim(local[:i], "[]")
		if j := strings.IndexByte(addr, '%'); j >= 0 {
			addr = addr[:j]
		}
		ls := collectors.Listener{Address: addr, Port: port}
		if len(f) > 5 {
			if _, rest, ok := strings.Cut(f[5], `(("`); ok {
				ls.Process, _, _ = strings.Cut(rest, `"`)
			}
		}
		out = append(out, ls)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Port != out[j].Port {
			return out[i].Port < out[j].Port
		}
		return out[i].Address < out[j].Address
	})
	return out, nil
}

type ipLink struct {
	IfName   string   `json:"ifname"`
	MTU      int      `json:"mtu"`
	Flags    []string `json:"flags"`
	Master   string   `json:"master"`
	Link     string   `json:"link"`
	LinkInfo *struct {
		Kind string `json:"info_kind"`
		Data *struct {
			Link string `json:"link"`
		} `json:"info_data"`
	} `json:"linkinfo"`
	AddrInfo []struct {
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

// parseLinks reads `ip -j -d link` and, when addr is not nil, `ip -j addr`.
func parseLinks(link, addr []byte) ([]collectors.Link, error) {
	var ls []ipLink
	if err := json.Unmarshal(link, &ls); err != nil {
		return nil, errors.New("ip -j -d link: not a JSON array of links")
	}
	addrs := map[string][]string{}
	if len(bytes.TrimSpace(addr)) > 0 {
		var as []ipLink
		if err := json.Unmarshal(addr, &as); err != nil {
			return nil, errors.New("ip -j addr: not a JSON array of links")
		}
		for _, a := range as {
			for _, ai := range a.AddrInfo {
				if ai.Local != "" {
					addrs[a.IfName] = append(addrs[a.IfName], ai.Local+"/"+strconv.Itoa(ai.PrefixLen))
				}
			}
		}
	}
	out := make([]collectors.Link, 0, len(ls))
	for _, l := range ls {
		if l.IfName == "" {
			return nil, errors.New("ip -j -d link: link without a name")
		}
		k := collectors.Link{Name: l.IfName, MTU: l.MTU, Master: l.Master, Up: slices.Contains(l.Flags, "UP"), Addrs: addrs[l.IfName]}
		if l.LinkInfo != nil {
			k.Kind = l.LinkInfo.Kind
			if k.Kind == "vxlan" {
				if l.LinkInfo.Data != nil && l.LinkInfo.Data.Link != "" {
					k.Underlay = l.LinkInfo.Data.Link
				} else {
					k.Underlay = l.Link
				}
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// parseFiles reads the files section: "MODE OWNER GROUP PATH" or "missing PATH".
func parseFiles(b []byte) (map[string]collectors.FileStat, error) {
	out := map[string]collectors.FileStat{}
	for n, l := range strings.Split(string(b), "\n") {
		if l == "" {
			continue
		}
		if p, ok := strings.CutPrefix(l, "missing "); ok {
			out[p] = collectors.FileStat{Exists: false}
			continue
		}
		f := strings.SplitN(l, " ", 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("files line %d: unexpected format", n+1)
		}
		perm, err := strconv.ParseInt(f[0], 8, 32)
		if err != nil || perm < 0 || perm > 0o7777 {
			return nil, fmt.Errorf("files line %d: mode is not octal", n+1)
		}
		out[f[3]] = fileStat(int(perm), f[1], f[2])
	}
	return out, nil
}

func fileStat(perm int, owner, group string) collectors.FileStat {
	return collectors.FileStat{Exists: true, Mode: fmt.Sprintf("%04o", perm), Perm: perm, Owner: owner, Group: group}
}

// parseCert reads `openssl x509 -noout -enddate -subject -issuer`.
func parseCert(b []byte) (*collectors.CertFact, error) {
	c := &collectors.CertFact{}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		switch k {
		case "notAfter":
			t, err := time.Parse("Jan _2 15:04:05 2006 MST", v)
			if err != nil {
				return nil, errors.New("certificate expiry is not in openssl's date format")
			}
			t = t.UTC()
			c.NotAfter = &t
		case "subject":
			c.Subject = v
		case "issuer":
			c.Issuer = v
		}
	}
	if c.NotAfter == nil {
		return nil, errors.New("openssl printed no expiry")
	}
	return c, nil
}

// parsePackages reads the packages section: the manager name, then
// "name<TAB>version<TAB>status" lines; only installed ("ii") packages count.
func parsePackages(b []byte) (string, map[string]string, error) {
	lines := strings.Split(string(b), "\n")
	mgr := strings.TrimSpace(lines[0])
	if mgr != "dpkg" && mgr != "rpm" {
		return "", nil, errors.New("packages section names no package manager")
	}
	out := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) < 3 || f[1] == "" || !strings.HasPrefix(f[2], "ii") {
			continue
		}
		out[f[0]] = f[1]
	}
	return mgr, out, nil
}

// parseCPU reads the first model line of /proc/cpuinfo.
func parseCPU(b []byte) (string, error) {
	_, v, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", errors.New("/proc/cpuinfo has no model line")
	}
	return strings.TrimSpace(v), nil
}

// parseTimeSync reads the timesync section: "timedatectl yes|no" or
// "chronyc" followed by `chronyc -n tracking`.
func parseTimeSync(b []byte) (*bool, string, error) {
	s := strings.TrimSpace(string(b))
	yes, no := true, false
	if v, ok := strings.CutPrefix(s, "timedatectl "); ok {
		switch strings.TrimSpace(v) {
		case "yes":
			return &yes, "timedatectl", nil
		case "no":
			return &no, "timedatectl", nil
		}
		return nil, "", errors.New("timedatectl gave an unrecognised answer")
	}
	if rest, ok := strings.CutPrefix(s, "chronyc"); ok {
		for _, l := range strings.Split(rest, "\n") {
			k, v, ok := strings.Cut(l, ":")
			if ok && strings.TrimSpace(k) == "Leap status" {
				if strings.TrimSpace(v) == "Not synchronised" {
					return &no, "chronyc", nil
				}
				return &yes, "chronyc", nil
			}
		}
		return nil, "", errors.New("chronyc tracking has no leap status")
	}
	return nil, "", errors.New("no time synchronisation tool answered")
}

// parseClock reads `date -u +%s.%N`.
func parseClock(b []byte) (time.Time, error) {
	s := strings.TrimSpace(string(b))
	sec, frac, _ := strings.Cut(s, ".")
	si, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, errors.New("host clock is not a number of seconds")
	}
	var ns int64
	if frac != "" && frac != "N" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		frac += strings.Repeat("0", 9-len(frac))
		if ns, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, errors.New("host clock fraction is not a number")
		}
	}
	return time.Unix(si, ns).UTC(), nil
}
