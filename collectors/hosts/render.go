package hosts

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/csaudit/csaudit/collectors"
)

// RenderOutput is the inverse of the parsers: the framed script output a
// host with these facts would send, in the formats of the real tools. The
// lab simulator answers with it, so a snapshot's hosts can be served by
// simulated hosts and collected again. now is the host's clock.
func RenderOutput(h *collectors.HostFacts, now time.Time) []byte {
	secs := map[string]rendered{}
	secs[secClock] = rendered{out: fmt.Sprintf("%d.%09d\n", now.Unix(), now.Nanosecond())}
	if a := h.Agent; a != nil {
		switch a.State {
		case StateUnknownNoSystemd:
			secs[secAgent] = rendered{out: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n", rc: 1}
		case StateActive:
			secs[secAgent] = rendered{out: "active\n"}
		default:
			secs[secAgent] = rendered{out: a.State + "\n", rc: 3}
		}
	}
	if l := h.Listeners; l != nil {
		var b strings.Builder
		if len(l.Units) == 0 || anyValue(l.Units, StateUnknownNoSystemd) {
			b.WriteString("no-systemd\n")
		} else {
			b.WriteString("systemd\n")
			for _, u := range sortedKeys(l.Units) {
				en, act, _ := strings.Cut(l.Units[u], "/")
				fmt.Fprintf(&b, "%s %s %s\n", u, en, act)
			}
		}
		secs[secUnits] = rendered{out: b.String()}
		b.Reset()
		for _, ls := range l.Listeners {
			addr := ls.Address
			if strings.Contains(addr, ":") {
				addr = "[" + addr + "]"
			}
			fmt.Fprintf(&b, "LISTEN 0      128    %s:%d 0.0.0.0:*", addr, ls.Port)
			if ls.Process != "" {
				fmt.Fprintf(&b, ` users:(("%s",pid=1,fd=3))`, ls.Process)
			}
			b.WriteString("\n")
		}
		secs[secSS] = rendered{out: b.String()}
	}
	if p := h.Properties; p != nil {
		secs[secProps] = rendered{out: keyValues(p.Values, "=", false)}
	} else {
		secs[secProps] = rendered{rc: 2}
	}
	if l := h.Libvirtd; l != nil {
		secs[secLibvirtd] = rendered{out: keyValues(l.Values, " = ", true)}
	}
	if f := h.Firewall; f != nil {
		secs[secIptables] = rendered{out: renderIptables(f.Ports, f.LinkLocalDropped)}
		if f.Ports6 != nil {
			secs[secIp6] = rendered{out: renderIptables(f.Ports6, nil)}
		}
		secs[secNft] = rendered{out: `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}]}` + "\n"}
	}
	if i := h.Interfaces; i != nil {
		link, addr := renderLinks(i.Links)
		secs[secLink] = rendered{out: link}
		secs[secAddr] = rendered{out: addr}
	}
	if f := h.Files; f != nil {
		var b strings.Builder
		for _, p := range sortedKeys(f.Files) {
			st := f.Files[p]
			if !st.Exists {
				fmt.Fprintf(&b, "missing %s\n", p)
				continue
			}
			fmt.Fprintf(&b, "%o %s %s %s\n", st.Perm, st.Owner, st.Group, p)
		}
		secs[secFiles] = rendered{out: b.String()}
	}
	if c := h.Cert; c != nil && c.NotAfter != nil {
		secs[secCert] = rendered{out: fmt.Sprintf("notAfter=%s\nsubject=%s\nissuer=%s\n",
			c.NotAfter.UTC().Format("Jan _2 15:04:05 2006")+" GMT", c.Subject, c.Issuer)}
	} else {
		secs[secCert] = rendered{rc: 2}
	}
	if p := h.Packages; p != nil {
		var b strings.Builder
		b.WriteString(p.Manager + "\n")
		for _, n := range sortedKeys(p.Versions) {
			fmt.Fprintf(&b, "%s\t%s\tii \n", n, p.Versions[n])
		}
		secs[secPackages] = rendered{out: b.String()}
	}
	if c := h.CPU; c != nil {
		secs[secCPU] = rendered{out: "model name\t: " + c.Model + "\n"}
	}
	if c := h.Clock; c != nil && c.Synchronized != nil {
		v := "no"
		if *c.Synchronized {
			v = "yes"
		}
		secs[secTimeSync] = rendered{out: "timedatectl " + v + "\n"}
	}
	var out strings.Builder
	for _, name := range sectionOrder {
		r, ok := secs[name]
		if !ok {
			r = rendered{rc: 127}
		}
		fmt.Fprintf(&out, "@@csaudit %s %s %d\n", name, base64.StdEncoding.EncodeToString([]byte(r.out)), r.rc)
	}
	return []byte(out.String())
}

type rendered struct {
	out string
	rc  int
}

// sectionOrder is the script's order.
var sectionOrder = []string{secClock, secAgent, secUnits, secProps, secLibvirtd, secSS, secIptables, secIp6, secNft,
	secLink, secAddr, secFiles, secCert, secPackages, secCPU, secTimeSync}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func anyValue(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

func keyValues(m map[string]string, sep string, quote bool) string {
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		v := m[k]
		if _, err := strconv.Atoi(v); quote && err != nil {
			v = `"` + v + `"`
		}
		b.WriteString(k + sep + v + "\n")
	}
	return b.String()
}

// renderIptables writes rules that the interpreter evaluates back to the
// same verdicts: accepts per source for restricted ports, then drops.
func renderIptables(ports map[string]collectors.PortVerdict, linkLocalDropped *bool) string {
	var b strings.Builder
	b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n")
	for _, port := range sortedKeys(ports) {
		v := ports[port]
		switch v.Verdict {
		case VerdictOpen:
			fmt.Fprintf(&b, "-A INPUT -p tcp -m tcp --dport %s -j ACCEPT\n", port)
		case VerdictRestricted:
			for _, src := range v.Sources {
				if strings.HasPrefix(src, "iface ") {
					fmt.Fprintf(&b, "-A INPUT -i %s -p tcp -m tcp --dport %s -j ACCEPT\n", strings.TrimPrefix(src, "iface "), port)
				} else if _, _, err := net.ParseCIDR(src); err == nil || net.ParseIP(src) != nil {
					fmt.Fprintf(&b, "-A INPUT -s %s -p tcp -m tcp --dport %s -j ACCEPT\n", src, port)
				}
			}
			fmt.Fprintf(&b, "-A INPUT -p tcp -m tcp --dport %s -j DROP\n", port)
		case VerdictClosed:
			fmt.Fprintf(&b, "-A INPUT -p tcp -m tcp --dport %s -j REJECT --reject-with icmp-port-unreachable\n", port)
		default:
			fmt.Fprintf(&b, "-A INPUT -p tcp -m tcp --dport %s -m recent --rcheck -j DROP\n", port)
		}
	}
	if linkLocalDropped != nil && *linkLocalDropped {
		b.WriteString("-A INPUT -s 169.254.0.0/16 -j DROP\n")
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

func renderLinks(links []collectors.Link) (string, string) {
	type info struct {
		Kind string         `json:"info_kind,omitempty"`
		Data map[string]any `json:"info_data,omitempty"`
	}
	type addrInfo struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	}
	type link struct {
		Index    int        `json:"ifindex"`
		Name     string     `json:"ifname"`
		Flags    []string   `json:"flags"`
		MTU      int        `json:"mtu"`
		Master   string     `json:"master,omitempty"`
		LinkInfo *info      `json:"linkinfo,omitempty"`
		AddrInfo []addrInfo `json:"addr_info,omitempty"`
	}
	var ls, as []link
	for i, l := range links {
		k := link{Index: i + 1, Name: l.Name, Flags: []string{"BROADCAST", "MULTICAST"}, MTU: l.MTU, Master: l.Master}
		if l.Up {
			k.Flags = append(k.Flags, "UP", "LOWER_UP")
		}
		if l.Kind != "" {
			k.LinkInfo = &info{Kind: l.Kind}
			if l.Underlay != "" {
				k.LinkInfo.Data = map[string]any{"link": l.Underlay}
			}
		}
		ls = append(ls, k)
		a := link{Index: k.Index, Name: l.Name, Flags: k.Flags, MTU: l.MTU}
		for _, cidr := range l.Addrs {
			ip, pfx, _ := strings.Cut(cidr, "/")
			n, _ := strconv.Atoi(pfx)
			fam := "inet"
			if strings.Contains(ip, ":") {
				fam = "inet6"
			}
			a.AddrInfo = append(a.AddrInfo, addrInfo{Family: fam, Local: ip, PrefixLen: n})
		}
		as = append(as, a)
	}
	lb, _ := json.Marshal(ls)
	ab, _ := json.Marshal(as)
	return string(lb) + "\n", string(ab) + "\n"
}
