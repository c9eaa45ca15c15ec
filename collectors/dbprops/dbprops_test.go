package dbprops

import (
	"crypto/cipher"
	"crypto/des"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/collectors"
)

func encryptV2(t testing.TB, secret, plain string) string {
	t.Helper()
	v, err := Encrypt(secret, plain, "V2")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func encryptV1(t testing.TB, secret, plain string) string {
	t.Helper()
	v, err := Encrypt(secret, plain, "V1")
	if err != nil {
		t.Fatal(err)
	}
	return v
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
		got, err := Decrypt(secret, tc.ct, tc.version)
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
	if got, err := Decrypt("password", v1, "V1"); err != nil || got != "csaudit" {
		t.Errorf("fixed V1 vector: %q, %v", got, err)
	}
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestParseProperties(t *testing.T) {
	p, err := Parse(strings.NewReader("# c\n! c\n a = 1\nb:2\nc=x\\\n  y\nd=tab\\tz\n\nnoeq\n"))
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

func TestDSNErrorsHideThePassword(t *testing.T) {
	for _, dsn := range []string{
		"auditor:Sekr3t-PW@tcp(127.0.0.1:3306)/cloud?bogus=%zz",
		"auditor:Sekr3t-PW@tcp(127.0.0.1:3306)cloud",
		"auditor:Sekr3t-PW@tcp(127.0.0.1:3306)/cloud?timeout=notaduration",
		"auditor:Sekr3t-PW@tcp(127.0.0.1:3306)/",
	} {
		_, err := ConnConfig(&collectors.Config{Database: &collectors.DatabaseConfig{DSN: dsn}}, func(string) string { return "" })
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
	p, err := Load(props, "", func(k string) string {
		if k == "CLOUD_SECRET_KEY" {
			return "env-key"
		}
		return ""
	})
	if err != nil || p.Password != "pw-from-env" || p.Port != "3306" || p.Name != "cloud" {
		t.Errorf("env: %+v, %v", p, err)
	}
	if _, err := Load(props, "", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "CLOUD_SECRET_KEY") {
		t.Errorf("env without key: %v", err)
	}
	write(t, props, "db.cloud.username=cloud\ndb.cloud.password=plain\ndb.cloud.host=db1\ndb.cloud.port=3307\ndb.cloud.encryption.type=none\n")
	if p, err := Load(props, "", func(string) string { return "" }); err != nil || p.Password != "plain" || p.Port != "3307" {
		t.Errorf("none: %+v, %v", p, err)
	}
	write(t, props, "db.cloud.username=cloud\ndb.cloud.password=ENC(abc)\ndb.cloud.host=db1\ndb.cloud.encryption.type=web\n")
	if _, err := Load(props, "", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "web") {
		t.Errorf("web: %v", err)
	}
}

// Vectors made outside Go: V2 with Python's cryptography AESGCM (key
// SHA-256(secret)), V1 with Python hashlib (PBKDF1-MD5, 1000 rounds) feeding
// `openssl enc -des-cbc -provider legacy`, salt 0102030405060708.
const (
	mgmtSecret   = "mgmt-secret-1"
	dbSecret     = "dbkey-secret"
	v1Calvin     = "AQIDBAUGBwj63wTdR9fQRg==" // "calvin" under dbSecret
	v2DBSecret   = "AQIDBAUGBwgJCgsMWS2poduT+GrUp39nfyrFTfHyDyNmG+lUgeDCkQ=="
	v2DBPassword = "AgMEBQYHCAkKCwwN0BsOGkOG+bcgMCG7hZDCwGksPcO2e0c/7zA=" // "auditpw-Q1" under mgmtSecret
)

func TestForeignVectors(t *testing.T) {
	for _, tt := range []struct{ secret, in, version, want string }{
		{dbSecret, v1Calvin, "", "calvin"},
		{dbSecret, v1Calvin, "v1", "calvin"},
		{mgmtSecret, v2DBSecret, "", dbSecret},
		{mgmtSecret, v2DBPassword, "V2", "auditpw-Q1"},
	} {
		if got, err := Decrypt(tt.secret, tt.in, tt.version); err != nil || got != tt.want {
			t.Errorf("Decrypt(%s, %q) = %q, %v", tt.in, tt.version, got, err)
		}
	}
	for _, tt := range []struct{ secret, in, version string }{
		{"bad-key-x", v2DBSecret, ""},
		{"bad-key-x", v1Calvin, "V1"},
		{dbSecret, v1Calvin, "V2"},
		{dbSecret, v1Calvin, "V9"},
	} {
		if got, err := Decrypt(tt.secret, tt.in, tt.version); err == nil {
			t.Errorf("Decrypt(%s, %s, %q) accepted: %q", tt.secret, tt.in, tt.version, got)
		} else if strings.Contains(err.Error(), tt.secret) || strings.Contains(err.Error(), tt.in) {
			t.Errorf("error quotes its input: %v", err)
		}
	}
}

func TestParseJavaProperties(t *testing.T) {
	in := "# comment\n! also\n  db.cloud.host = 10.0.0.5\ndb.cloud.port:3306\ndb.cloud.name cloud\n" +
		"long=first\\\n    second\nesc=a\\=b\\u0041\\\\\nempty=\n"
	want := map[string]string{
		"db.cloud.host": "10.0.0.5", "db.cloud.port": "3306", "db.cloud.name": "cloud",
		"long": "firstsecond", "esc": `a=bA\`, "empty": "",
	}
	got, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestKeyLocations(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "key"), mgmtSecret+"\n")
	props := filepath.Join(dir, "db.properties")
	env := func(k string) string { return map[string]string{"CLOUD_SECRET_KEY": "from-env"}[k] }
	for typ, want := range map[string]string{"file": mgmtSecret, "env": "from-env", "none": "", "": ""} {
		write(t, props, "db.cloud.encryption.type="+typ+"\n")
		f, err := Open(props, "", env) // the key file beside db.properties
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.Key(); err != nil || got != want {
			t.Errorf("%q: %q, %v", typ, got, err)
		}
	}
	for _, typ := range []string{"web", "bogus"} {
		write(t, props, "db.cloud.encryption.type="+typ+"\n")
		f, err := Open(props, "", env)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Key(); err == nil {
			t.Errorf("%q accepted", typ)
		}
	}
}
