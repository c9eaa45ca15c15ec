package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/collectors"
)

const canary = "CANARY-db-pass-77aa"

func write(t *testing.T, root, p, data string, mode os.FileMode) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil {
		t.Fatal(err)
	}
}

func TestCollectTempRoot(t *testing.T) {
	root := t.TempDir()
	write(t, root, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ncloud:x:"+itoa(os.Getuid())+":999::/var/cloudstack:/bin/sh\n", 0o644)
	write(t, root, "/etc/group", "root:x:0:\n", 0o644)
	write(t, root, "/etc/hostname", "ms1\n", 0o644)
	write(t, root, mgmtDir+"/db.properties", "db.cloud.username=cloud\ndb.cloud.password=ENC(abc)\n"+
		"db.usage.password="+canary+"\ndb.cloud.encryption.type=file\ndb.cloud.encryptor.version=V2\n"+
		"db.cloud.keyStorePassword=\n", 0o640)
	write(t, root, mgmtDir+"/key", canary, 0o644)
	write(t, root, mgmtDir+"/server.properties", "http.port=8080\nhttps.enable=true\nhttps.keystore.password="+canary+"\n", 0o640)
	write(t, root, mgmtDir+"/cloud.jks", canary, 0o600)
	write(t, root, sshKey, canary, 0o644)
	write(t, root, "/etc/default/cloudstack-management", "JAVA_OPTS=\"-Djava.awt.headless=true -Xms2G -Xmx4G\"\n#JAVA_OPTS=\"-Xmx64G\"\n", 0o644)
	if err := os.MkdirAll(filepath.Join(root, logDir), 0o755); err != nil {
		t.Fatal(err)
	}
	l4j, _ := os.ReadFile("testdata/log4j-cloud.xml")
	write(t, root, log4jFile, string(l4j), 0o644)
	tcp, _ := os.ReadFile("testdata/proc_net_tcp.txt")
	write(t, root, "/proc/net/tcp", string(tcp), 0o444)

	part, err := New(&collectors.Config{Local: &collectors.LocalConfig{Root: root}}).Collect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lf := part.Local
	if lf.Hostname != "ms1" {
		t.Errorf("hostname %q", lf.Hostname)
	}
	f := lf.Files.Files
	if f[mgmtDir+"/key"].Mode != "0644" || f[sshKey].Perm != 0o644 || f[mgmtDir+"/cloud.jks"].Mode != "0600" ||
		f[mgmtDir+"/db.properties"].Owner != ownerName() {
		t.Errorf("files = %+v", f)
	}
	want := &collectors.DBPropsFact{FactMeta: lf.DBProps.FactMeta, EncryptionType: "file", EncryptorVersion: "V2", EncryptedValues: 1, PlainSecrets: 1}
	if d := cmp.Diff(want, lf.DBProps); d != "" {
		t.Error(d)
	}
	if lf.Heap == nil || lf.Heap.MaxMB != 4096 {
		t.Errorf("heap = %+v", lf.Heap)
	}
	if lf.Disk == nil || lf.Disk.SizeBytes <= 0 {
		t.Errorf("disk = %+v", lf.Disk)
	}
	if lf.Listeners == nil || len(lf.Listeners.Listeners) != 3 {
		t.Errorf("listeners = %+v", lf.Listeners)
	}
	if lf.Properties["http.port"] != "8080" || lf.Properties["https.keystore.password"] != "" {
		t.Errorf("server.properties = %v", lf.Properties)
	}
	for fact, cv := range part.Coverage {
		if len(cv.Failed) != 0 {
			t.Errorf("%s failed: %v", fact, cv.Failed)
		}
	}
	b, _ := json.Marshal(part)
	if strings.Contains(string(b), canary) {
		t.Fatal("a secret reached the part")
	}
}

func ownerName() string {
	if os.Getuid() == 0 {
		return "root"
	}
	return "cloud"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestMissingFilesAreCoverageFailures(t *testing.T) {
	part, err := New(&collectors.Config{Local: &collectors.LocalConfig{Root: t.TempDir()}}).Collect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, fact := range []string{FactDBProperties, FactJavaHeap, FactLogDisk, FactListeners} {
		if part.Coverage[fact].Failed[Resource] == "" {
			t.Errorf("%s: no failure recorded", fact)
		}
	}
	if part.Local.DBProps != nil || part.Local.Heap != nil {
		t.Error("facts invented for missing files")
	}
	if !cmp.Equal(part.Local.Files.Files[sshKey], collectors.FileStat{}) {
		t.Errorf("missing key = %+v", part.Local.Files.Files[sshKey])
	}
	if _, err := New(&collectors.Config{Local: &collectors.LocalConfig{Root: "/nonexistent-root"}}).Collect(context.Background(), nil); err == nil {
		t.Error("missing root accepted")
	}
}

func TestParseProcNetTCPCaptured(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []collectors.Listener
	}{
		{"proc_net_tcp.txt", []collectors.Listener{{Address: "0.0.0.0", Port: 8080}, {Address: "0.0.0.0", Port: 8443}, {Address: "127.0.0.1", Port: 8096}}},
		{"proc_net_tcp6.txt", []collectors.Listener{{Address: "::", Port: 8250}}},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseProcNetTCP(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s: %s", tc.file, d)
		}
	}
}

func TestParseHeap(t *testing.T) {
	for in, want := range map[string]int{"-Xmx2g": 2048, "JAVA_OPTS=\"-Xmx512m -Xmx1024m\"": 1024, "-Xmx1073741824": 1024, "-Xmx2097152k": 2048} {
		if got, ok := parseHeap([]byte(in)); !ok || got != want {
			t.Errorf("%s: %d %v", in, got, ok)
		}
	}
	// Found by FuzzLocalFiles: a size beyond int64 wrapped to a negative heap.
	for _, in := range []string{"-Xmx9999999999999t", "-Xmx17592186044416t", "-Xmx9007199254740993g"} {
		if mb, ok := parseHeap([]byte(in)); ok {
			t.Errorf("%s: %d MiB accepted", in, mb)
		}
	}
	if _, ok := parseHeap([]byte("# -Xmx4g\n")); ok {
		t.Error("commented -Xmx used")
	}
}
