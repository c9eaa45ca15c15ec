package local

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/collectors"
	"github.com/google/go-cmp/cmp"
)

func TestParseLog4jRemote(t *testing.T) {
	def, err := os.ReadFile("testdata/log4j-cloud.xml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseLog4jRemote(def)
	if err != nil || len(got) != 0 {
		t.Errorf("packaged default (local syslog only): %v %v", got, err)
	}
	remote := strings.Replace(string(def), `syslogHosts=""`, `syslogHosts="10.9.0.5, localhost"`, 1)
	remote = strings.Replace(remote, `host="localhost"`, `host="logs.example.net"`, 1)
	got, err = parseLog4jRemote([]byte(remote))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"AlertSyslogAppender ALERTSYSLOG -> 10.9.0.5", "Syslog SYSLOG -> logs.example.net"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
	// A remote appender no logger references sends nothing.
	unref := strings.ReplaceAll(remote, `<AppenderRef ref="SYSLOG"/>`, "")
	if got, _ := parseLog4jRemote([]byte(unref)); len(got) != 1 {
		t.Errorf("unreferenced appender counted: %v", got)
	}
	if strings.Contains(strings.Join(got, " "), "CANARY") {
		t.Error("an appender attribute other than the host was kept")
	}
	_, err = parseLog4jRemote([]byte("<Configuration><Appenders secret=\"CANARY-x\">\n<Syslog</Configuration>"))
	if err == nil || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("malformed XML: %v", err)
	}
}

func TestParseRsyslogForwards(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		want       []string
	}{
		{"packaged default", "module(load=\"imuxsock\")\n*.info;mail.none /var/log/messages\n# *.* @@remote-host:514\n", nil},
		{"legacy udp and tcp", "*.* @10.9.0.5:514\nauthpriv.* @@logs.example.net\n", []string{"udp 10.9.0.5:514", "tcp logs.example.net"}},
		{"legacy with options and template", "*.* @@(z9)[2001:db8::5]:6514;RSYSLOG_ForwardFormat\n", []string{"tcp 2001:db8::5:6514"}},
		{"omfwd over lines", "action(type=\"omfwd\"\n  target=\"siem.example.net\" port=\"6514\" protocol=\"tcp\")\n", []string{"omfwd siem.example.net"}},
		{"omfwd to itself", "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"10514\")\n*.* @localhost\n", nil},
		{"commented omfwd", "#action(type=\"omfwd\" target=\"siem.example.net\")\n", nil},
	} {
		if d := cmp.Diff(tc.want, parseRsyslogForwards([]byte(tc.conf))); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
	ng := "destination d_local { file(\"/var/log/messages\"); };\ndestination d_siem { network(\"siem.example.net\" transport(\"tcp\") port(6514)); };\n"
	if d := cmp.Diff([]string{"syslog-ng siem.example.net"}, parseSyslogNGForwards([]byte(ng))); d != "" {
		t.Error(d)
	}
}

func TestCollectSyslog(t *testing.T) {
	def, _ := os.ReadFile("testdata/log4j-cloud.xml")
	root := t.TempDir()
	write(t, root, log4jFile, string(def), 0o644)
	write(t, root, rsyslogConf, "*.info /var/log/messages\n", 0o644)
	write(t, root, rsyslogDir+"/50-remote.conf", "*.* @@siem.example.net:6514\n", 0o644)
	write(t, root, rsyslogDir+"/README", "*.* @@ignored.example.net\n", 0o644)
	part, err := New(&collectors.Config{Local: &collectors.LocalConfig{Root: root}}).Collect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sl := part.Local.Syslog
	if sl == nil {
		t.Fatalf("no syslog fact: %v", part.Coverage[FactSyslog].Failed)
	}
	if d := cmp.Diff([]string{"tcp siem.example.net:6514"}, sl.Forwards); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff([]string{rsyslogConf, rsyslogDir + "/50-remote.conf"}, sl.SyslogFiles); d != "" {
		t.Error(d)
	}
	if sl.Log4jFile != log4jFile || len(sl.Log4jRemote) != 0 {
		t.Errorf("log4j: %+v", sl)
	}
	b, _ := json.Marshal(part)
	if strings.Contains(string(b), "CANARY") {
		t.Error("an SNMP community reached the part")
	}

	// No logging configuration at all is a failed fact, never an empty one.
	part, err = New(&collectors.Config{Local: &collectors.LocalConfig{Root: t.TempDir()}}).Collect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if part.Local.Syslog != nil || part.Coverage[FactSyslog].Failed[Resource] == "" {
		t.Errorf("missing files: %+v %v", part.Local.Syslog, part.Coverage[FactSyslog])
	}
}
