package database

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/dbprops"
)

var zeroTime time.Time

func encryptV2(t testing.TB, secret, plain string) string { return encrypt(t, secret, plain, "V2") }

func encryptV1(t testing.TB, secret, plain string) string { return encrypt(t, secret, plain, "V1") }

func encrypt(t testing.TB, secret, plain, version string) string {
	t.Helper()
	v, err := dbprops.Encrypt(secret, plain, version)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestZeroConfigFromDBProperties(t *testing.T) {
	m := labDB(t)
	const mgmtKey = "zero-config-mgmt-key"
	for _, enc := range []struct {
		name string
		f    func(testing.TB, string, string) string
	}{{"V2", encryptV2}, {"V1", encryptV1}} {
		t.Run(enc.name, func(t *testing.T) {
			dir := t.TempDir()
			key := filepath.Join(dir, "key")
			props := filepath.Join(dir, "db.properties")
			write(t, key, mgmtKey+"\n")
			host, port, _ := strings.Cut(m.Addr(), ":")
			write(t, props, "# CloudStack db.properties\ndb.cloud.username=auditor\ndb.cloud.password=ENC("+enc.f(t, mgmtKey, auditPW)+")\n"+
				"db.cloud.host="+host+"\ndb.cloud.port="+port+"\ndb.cloud.name=lab\ndb.cloud.encryption.type=file\n"+
				"db.cloud.encrypt.secret=ENC("+enc.f(t, mgmtKey, "db-key")+")\n")
			cfg := &collectors.Config{Database: &collectors.DatabaseConfig{DBProperties: props, KeyFile: key}}
			p, err := collect(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.DB["vm_instance"]) == 0 || p.Database.Account != "auditor@127.0.0.1" {
				t.Errorf("zero-config run read %d VMs as %q", len(p.DB["vm_instance"]), p.Database.Account)
			}
			canary.Check(t, "snapshot", snapshotJSON(t, p))
		})
	}
	t.Run("bad ENC value", func(t *testing.T) {
		dir := t.TempDir()
		key, props := filepath.Join(dir, "key"), filepath.Join(dir, "db.properties")
		write(t, key, "right-key\n")
		bad := encryptV2(t, "wrong-key", auditPW)
		write(t, props, "db.cloud.username=auditor\ndb.cloud.password=ENC("+bad+")\ndb.cloud.host=127.0.0.1\ndb.cloud.encryption.type=file\n")
		_, err := collect(t, &collectors.Config{Database: &collectors.DatabaseConfig{DBProperties: props, KeyFile: key}})
		if err == nil || !strings.Contains(err.Error(), "db.cloud.password") || strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "right-key") {
			t.Fatalf("err = %v, want a clear error naming db.cloud.password without quoting it", err)
		}
	})
	t.Run("missing key file", func(t *testing.T) {
		dir := t.TempDir()
		props := filepath.Join(dir, "db.properties")
		write(t, props, "db.cloud.username=auditor\ndb.cloud.password=ENC(abc)\ndb.cloud.host=127.0.0.1\ndb.cloud.encryption.type=file\n")
		_, err := collect(t, &collectors.Config{Database: &collectors.DatabaseConfig{DBProperties: props, KeyFile: filepath.Join(dir, "nokey")}})
		if err == nil || !strings.Contains(err.Error(), "nokey") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("password from env", func(t *testing.T) {
		cfg := &collectors.Config{Database: &collectors.DatabaseConfig{DSN: m.DSN("auditor", "lab")}}
		c := NewAt(cfg, zeroTime).(*Collector)
		c.getenv = func(k string) string {
			if k == "CSAUDIT_DB_PASSWORD" {
				return auditPW
			}
			return ""
		}
		if _, err := c.Collect(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
	})
}
