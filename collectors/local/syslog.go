package local

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// FactSyslog is whether the management server's logs reach a remote syslog.
const FactSyslog = "local.syslog"

const (
	log4jFile   = mgmtDir + "/log4j-cloud.xml"
	rsyslogConf = "/etc/rsyslog.conf"
	rsyslogDir  = "/etc/rsyslog.d"
	syslogNG    = "/etc/syslog-ng/syslog-ng.conf"
)

// syslog reads the log4j configuration (appender types, names and target
// hosts only: SNMP communities and other attributes are never kept) and the
// syslog daemons' forwarding rules. Files that do not exist are skipped; none
// at all is an error, so the check cannot pass on nothing.
func (c *Collector) syslog() (*collectors.SyslogFact, error) {
	f := &collectors.SyslogFact{}
	found := false
	if b, err := readFile(c.path(log4jFile)); err == nil {
		found = true
		f.Log4jFile = log4jFile
		remote, err := parseLog4jRemote(b)
		if err != nil {
			return nil, err
		}
		f.Log4jRemote = remote
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	files := []string{rsyslogConf}
	if ents, err := os.ReadDir(c.path(rsyslogDir)); err == nil {
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".conf") {
				files = append(files, rsyslogDir+"/"+e.Name())
			}
		}
	}
	for _, p := range files {
		b, err := readFile(c.path(p))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		f.SyslogFiles = append(f.SyslogFiles, p)
		f.Forwards = append(f.Forwards, parseRsyslogForwards(b)...)
	}
	if b, err := readFile(c.path(syslogNG)); err == nil {
		found = true
		f.SyslogFiles = append(f.SyslogFiles, syslogNG)
		f.Forwards = append(f.Forwards, parseSyslogNGForwards(b)...)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if !found {
		return nil, errors.New("none of " + log4jFile + ", " + rsyslogConf + ", " + rsyslogDir + "/*.conf, " + syslogNG + " exists")
	}
	sort.Strings(f.Forwards)
	return f, nil
}

// local reports whether a syslog target is this machine.
func localTarget(host string) bool {
	h := strings.Trim(strings.ToLower(host), "[]")
	if h == "" || h == "localhost" || strings.HasPrefix(h, "localhost.") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// parseLog4jRemote lists the appenders that send to another machine and that
// a logger references: Syslog and Socket appenders with a non-local host,
// CloudStack's AlertSyslogAppender with syslogHosts set. Only the appender
// type, name and target hosts are kept.
func parseLog4jRemote(b []byte) ([]string, error) {
	type appender struct{ kind, name, hosts string }
	var apps []appender
	refs := map[string]bool{}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			// Never quote the input: the position is enough to find it.
			line, _ := d.InputPos()
			return nil, fmt.Errorf("%s: not well-formed XML near line %d", filepath.Base(log4jFile), line)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := func(n string) string {
			for _, a := range se.Attr {
				if strings.EqualFold(a.Name.Local, n) {
					return strings.TrimSpace(a.Value)
				}
			}
			return ""
		}
		switch strings.ToLower(se.Name.Local) {
		case "syslog", "socket":
			if h := attr("host"); !localTarget(h) {
				apps = append(apps, appender{se.Name.Local, attr("name"), h})
			}
		case "alertsyslogappender":
			var remote []string
			for _, h := range strings.Split(attr("syslogHosts"), ",") {
				if h = strings.TrimSpace(h); !localTarget(h) {
					remote = append(remote, h)
				}
			}
			if len(remote) > 0 {
				apps = append(apps, appender{se.Name.Local, attr("name"), strings.Join(remote, ",")})
			}
		case "appenderref":
			refs[attr("ref")] = true
		}
	}
	var out []string
	for _, a := range apps {
		if refs[a.name] {
			out = append(out, a.kind+" "+a.name+" -> "+a.hosts)
		}
	}
	sort.Strings(out)
	return out, nil
}

var (
	// *.* @host:514 (UDP) or @@host (TCP), after a selector.
	legacyForward = regexp.MustCompile(`^\S+\s+(@@?)(\(\S*\))?\[?([A-Za-z0-9._:-]+?)\]?(:[0-9]+)?(;\S*)?\s*$`)
	actionBlock   = regexp.MustCompile(`(?is)action\s*\((.*?)\)`)
	omfwdType     = regexp.MustCompile(`(?i)type\s*=\s*"omfwd"`)
	omfwdTarget   = regexp.MustCompile(`(?i)target\s*=\s*"([^"]*)"`)
	ngDest        = regexp.MustCompile(`(?s)destination\s+[A-Za-z0-9_]+\s*\{([^}]*)\}`)
	ngNetwork     = regexp.MustCompile(`\b(?:network|syslog|tcp6?|udp6?)\s*\(\s*"?([A-Za-z0-9._:-]+)"?`)
)

// parseRsyslogForwards finds remote forwards: legacy @host/@@host actions
// and RainerScript omfwd actions. Comments are dropped first.
func parseRsyslogForwards(b []byte) []string {
	var out, kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		kept = append(kept, l)
		m := legacyForward.FindStringSubmatch(strings.TrimSpace(l))
		if m != nil && !localTarget(m[3]) {
			proto := "udp"
			if m[1] == "@@" {
				proto = "tcp"
			}
			out = append(out, proto+" "+m[3]+m[4])
		}
	}
	for _, m := range actionBlock.FindAllStringSubmatch(strings.Join(kept, "\n"), -1) {
		if !omfwdType.MatchString(m[1]) {
			continue
		}
		if t := omfwdTarget.FindStringSubmatch(m[1]); t != nil && !localTarget(t[1]) {
			out = append(out, "omfwd "+t[1])
		}
	}
	return out
}

// parseSyslogNGForwards finds syslog-ng destinations that send over the network.
func parseSyslogNGForwards(b []byte) []string {
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		kept = append(kept, l)
	}
	var out []string
	for _, d := range ngDest.FindAllStringSubmatch(strings.Join(kept, "\n"), -1) {
		for _, m := range ngNetwork.FindAllStringSubmatch(d[1], -1) {
			if !localTarget(m[1]) {
				out = append(out, "syslog-ng "+m[1])
			}
		}
	}
	return out
}
