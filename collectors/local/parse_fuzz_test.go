package local

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fuzzCanary = "FUZZ-CANARY-mgmt"

// Management-server files the local collector parses, by fuzz selector.
const (
	fileDBProps = iota
	fileHeap
	fileProcNet
	fileLog4j
	fileRsyslog
	fileSyslogNG
	fileKinds
)

// FuzzLocalFiles feeds each parser of the local collector any file content.
// Properties: no panic; db.properties keeps no value (a planted password
// never reaches the fact); the heap is never negative; listeners have a
// real address and a port; log4j errors never quote the file; every
// forward names a target.
func FuzzLocalFiles(f *testing.F) {
	for _, s := range []struct {
		kind int
		file string
	}{{fileLog4j, "log4j-cloud.xml"}, {fileProcNet, "proc_net_tcp.txt"}, {fileProcNet, "proc_net_tcp6.txt"}} {
		b, err := os.ReadFile(filepath.Join("testdata", s.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(s.kind), b)
	}
	f.Add(uint8(fileDBProps), []byte("db.cloud.encryption.type=file\ndb.cloud.password=ENC(abc)\ndb.usage.password=plain\ndb.cloud.encryptor.version=V2\n"))
	f.Add(uint8(fileHeap), []byte("JAVA_OPTS=\"-Xmx512m -Xmx1024m\"\n# -Xmx4g\n-Xmx2097152k\n"))
	f.Add(uint8(fileHeap), []byte("-Xmx17592186044416t"))
	f.Add(uint8(fileRsyslog), []byte("*.* @@(z9)[2001:db8::5]:6514;RSYSLOG_ForwardFormat\naction(type=\"omfwd\"\n  target=\"siem.example.net\" port=\"6514\")\n"))
	f.Add(uint8(fileSyslogNG), []byte("destination d_siem { network(\"siem.example.net\" transport(\"tcp\") port(6514)); };\n"))
	f.Fuzz(func(t *testing.T, kind uint8, b []byte) {
		switch int(kind) % fileKinds {
		case fileDBProps:
			in := append(append([]byte{}, b...), "\n\ndb.cloud.password="+fuzzCanary+"\n"...)
			fact := parseDBProperties(in)
			out, err := json.Marshal(fact)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), fuzzCanary) {
				t.Fatalf("a db.properties value reached the fact: %s", out)
			}
			if fact.PlainSecrets < 1 {
				t.Fatalf("the planted plain password was not counted: %+v", fact)
			}
		case fileHeap:
			if mb, ok := parseHeap(b); ok && mb < 0 {
				t.Fatalf("heap of %d MiB", mb)
			}
		case fileProcNet:
			ls, err := parseProcNetTCP(b)
			if err != nil {
				return
			}
			for _, l := range ls {
				if _, err := netip.ParseAddr(l.Address); err != nil && l.Address != "*" {
					t.Fatalf("listener address %q", l.Address)
				}
				if l.Port < 0 || l.Port > 65535 {
					t.Fatalf("port %d", l.Port)
				}
			}
		case fileLog4j:
			in := append([]byte("<!-- "+fuzzCanary+" -->"), b...)
			if _, err := parseLog4jRemote(in); err != nil && strings.Contains(err.Error(), fuzzCanary) {
				t.Fatalf("error quotes the file: %v", err)
			}
		case fileRsyslog, fileSyslogNG:
			fwd := parseRsyslogForwards(b)
			if int(kind)%fileKinds == fileSyslogNG {
				fwd = parseSyslogNGForwards(b)
			}
			for _, s := range fwd {
				if k, target, ok := strings.Cut(s, " "); !ok || k == "" || strings.TrimSpace(target) == "" {
					t.Fatalf("forward %q names no target", s)
				}
			}
		}
	})
}
