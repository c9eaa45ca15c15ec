package database

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
)

// encryptV2 and encryptV1 are the management server's encryptors, written
// from the formats in tables.md, to make test vectors.
func encryptV2(t testing.TB, secret, plain string) string {
	key := sha256Sum(secret)
	blk, _ := aes.NewCipher(key[:])
	g, _ := cipher.NewGCM(blk)
	iv := make([]byte, g.NonceSize())
	if _, err := rand.Read(iv); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(g.Seal(iv, iv, []byte(plain), nil))
}

func encryptV1(t testing.TB, secret, plain string) string {
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	key, iv := pbkdf1MD5(secret, salt, 1000)
	blk, _ := des.NewCipher(key)
	n := des.BlockSize - len(plain)%des.BlockSize
	pt := append([]byte(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(blk, iv).CryptBlocks(ct, pt)
	return base64.StdEncoding.EncodeToString(append(salt, ct...))
}

func TestDecryptVectors(t *testing.T) {
	const secret, plain = "mgmt-secret-key", "cloud-db-pässword"
	for _, tc := range []struct {
		name, ct, version string
		ok                bool
	}{
		{"V2 auto", encryptV2(t, secret, plain), "", true},
		{"V1 auto", encryptV1(t, secret, plain), "", true},
		{"V2 pinned", encryptV2(t, secret, plain), "V2", true},
		{"V1 pinned", encryptV1(t, secret, plain), "V1", true},
		{"V1 value with V2 pinned", encryptV1(t, secret, plain), "V2", false},
		{"wrong key V2", encryptV2(t, "other", plain), "", false},
		{"not base64", "%%%", "", false},
		{"too short", base64.StdEncoding.EncodeToString([]byte("abc")), "", false},
	} {
		got, err := decryptValue(secret, tc.ct, tc.version)
		if tc.ok && (err != nil || got != plain) {
			t.Errorf("%s: got %q, %v", tc.name, got, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("%s: decrypted to %q, want an error", tc.name, got)
		}
		if err != nil && (strings.Contains(err.Error(), tc.ct) || strings.Contains(err.Error(), secret)) {
			t.Errorf("%s: error quotes input: %v", tc.name, err)
		}
	}
	// A fixed V1 vector: salt 0102030405060708, password "password", plaintext "csaudit".
	salt := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	key, iv := pbkdf1MD5("password", salt, 1000)
	blk, _ := des.NewCipher(key)
	ct := make([]byte, 8)
	cipher.NewCBCEncrypter(blk, iv).CryptBlocks(ct, []byte("csaudit\x01"))
	v1 := base64.StdEncoding.EncodeToString(append(salt, ct...))
	if got, err := decryptValue("password", v1, "V1"); err != nil || got != "csaudit" {
		t.Errorf("fixed V1 vector: %q, %v", got, err)
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

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestParseProperties(t *testing.T) {
	p, err := parseProperties(strings.NewReader("# c\n! c\n a = 1\nb:2\nc=x\\\n  y\nd=tab\\tz\n\nnoeq\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "1", "b": "2", "c": "xy", "d": "tab\tz"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
}

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

var zeroTime time.Time

func TestDSNErrorsHideThePassword(t *testing.T) {
	for _, dsn := range []string{
		"auditor:Sekr3t-PW@tcp(127.0.0.1:3306)/cloud?bogus=%zz",
		"auditor:Sekr3t-PW@tcp(127.0.0.1:3306)cloud",
		"auditor:Sekr3t-PW@tcp(127.0.0.1:3306)/cloud?timeout=notaduration",
		"auditor:Sekr3t-PW@tcp(127.0.0.1:3306)/",
	} {
		_, err := connConfig(&collectors.Config{Database: &collectors.DatabaseConfig{DSN: dsn}}, func(string) string { return "" })
		if err == nil {
			t.Errorf("%s: no error", dsn)
			continue
		}
		if strings.Contains(err.Error(), "Sekr3t") {
			t.Errorf("error quotes the password: %v", err)
		}
	}
}

func TestDBPropertiesEncryptionTypes(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "db.properties")
	write(t, props, "db.cloud.username=cloud\ndb.cloud.password=ENC("+encryptV2(t, "env-key", "pw-from-env")+")\ndb.cloud.host=db1\ndb.cloud.encryption.type=env\n")
	p, err := loadDBProperties(props, "", func(k string) string {
		if k == "CLOUD_SECRET_KEY" {
			return "env-key"
		}
		return ""
	})
	if err != nil || p.Password != "pw-from-env" || p.Port != "3306" || p.Name != "cloud" {
		t.Errorf("env: %+v, %v", p, err)
	}
	if _, err := loadDBProperties(props, "", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "CLOUD_SECRET_KEY") {
		t.Errorf("env without key: %v", err)
	}
	write(t, props, "db.cloud.username=cloud\ndb.cloud.password=plain\ndb.cloud.host=db1\ndb.cloud.port=3307\ndb.cloud.encryption.type=none\n")
	if p, err := loadDBProperties(props, "", func(string) string { return "" }); err != nil || p.Password != "plain" || p.Port != "3307" {
		t.Errorf("none: %+v, %v", p, err)
	}
	write(t, props, "db.cloud.username=cloud\ndb.cloud.password=ENC(abc)\ndb.cloud.host=db1\ndb.cloud.encryption.type=web\n")
	if _, err := loadDBProperties(props, "", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "web") {
		t.Errorf("web: %v", err)
	}
}
