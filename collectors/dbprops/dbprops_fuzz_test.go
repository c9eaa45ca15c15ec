package dbprops

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

const fuzzCanary = "FUZZ-CANARY-"

// FuzzProperties feeds the Java properties reader any db.properties text.
// Properties: no panic, no error under the size cap, and whatever came
// before, a plain line after a blank line reads back exactly (continuations
// and escapes never swallow the next entry).
func FuzzProperties(f *testing.F) {
	f.Add([]byte("# comment\n! also\n  db.cloud.host = 10.0.0.5\ndb.cloud.port:3306\ndb.cloud.name cloud\n" +
		"long=first\\\n    second\nesc=a\\=b\\u0041\\\\\nempty=\n"))
	f.Add([]byte("db.cloud.password=ENC(" + v2DBPassword + ")\ndb.cloud.encryption.type=file\n"))
	f.Add([]byte("key\\u00e9\\uZZZZ=v\\\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append(append([]byte{}, b...), "\n\nzz.fuzz.last = VALUE\n"...)
		got, err := Parse(strings.NewReader(string(in)))
		if err != nil {
			t.Fatalf("error under the size cap: %v", err)
		}
		if got["zz.fuzz.last"] != "VALUE" {
			t.Fatalf("the entry after a blank line reads %q", got["zz.fuzz.last"])
		}
	})
}

// FuzzDecrypt: what Encrypt makes, Decrypt gives back (V1, V2, and with no
// version pinned); any other value is refused or decrypted without the error
// ever quoting the key or the value.
func FuzzDecrypt(f *testing.F) {
	f.Add(mgmtSecret, "auditpw-Q1", v2DBPassword, "V2")
	f.Add(dbSecret, "calvin", v1Calvin, "")
	f.Add(mgmtSecret, dbSecret, v2DBSecret, "v1")
	f.Add("k", "", "%%%", "V9")
	f.Fuzz(func(t *testing.T, secret, plain, value, version string) {
		key := fuzzCanary + secret
		if utf8.ValidString(plain) {
			for _, v := range []string{"V1", "V2"} {
				ct, err := Encrypt(key, plain, v)
				if err != nil {
					t.Fatal(err)
				}
				for _, pin := range []string{v, ""} {
					if got, err := Decrypt(key, ct, pin); err != nil || got != plain {
						t.Fatalf("%s value, pinned %q: got %q, %v", v, pin, got, err)
					}
				}
			}
		}
		_, err := Decrypt(key, value, version)
		if err == nil {
			return
		}
		msg := err.Error()
		if strings.Contains(msg, fuzzCanary) {
			t.Fatalf("error quotes the key: %v", err)
		}
		if v := strings.TrimSpace(value); len(v) >= 8 && strings.Contains(msg, v) {
			t.Fatalf("error quotes the value: %v", err)
		}
	})
}

// FuzzLoad reads a fuzzed db.properties with a key file and an environment
// key, both canaries. Properties: no panic; no error quotes the key file,
// the environment key, or the password planted in the seeds.
func FuzzLoad(f *testing.F) {
	const fileKey, envKey, pw = fuzzCanary + "file-key", fuzzCanary + "env-key", fuzzCanary + "password"
	enc := func(k, v string) string {
		s, err := Encrypt(k, pw, v)
		if err != nil {
			f.Fatal(err)
		}
		return s
	}
	f.Add([]byte("db.cloud.username=cloud\ndb.cloud.password=ENC(" + enc(fileKey, "V2") + ")\ndb.cloud.host=db1\ndb.cloud.encryption.type=file\n"))
	f.Add([]byte("db.cloud.username=cloud\ndb.cloud.password=ENC(" + enc(envKey, "V1") + ")\ndb.cloud.host=db1\ndb.cloud.encryption.type=env\n"))
	f.Add([]byte("db.cloud.username=cloud\ndb.cloud.password=ENC(" + enc("other", "V2") + ")\ndb.cloud.host=db1\ndb.cloud.encryption.type=file\n"))
	// A password pasted into the wrong key.
	f.Add([]byte("db.cloud.host=db1\ndb.cloud.username=cloud\ndb.cloud.password=ENC(abc)\ndb.cloud.encryption.type=" + pw + "\n"))
	f.Add([]byte("db.cloud.username=cloud\ndb.cloud.password=" + pw + "\ndb.cloud.host=db1\ndb.cloud.port=3307\ndb.cloud.useSSL=true\n"))
	f.Fuzz(func(t *testing.T, props []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "db.properties")
		if err := os.WriteFile(path, props, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fileKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		getenv := func(k string) string {
			if k == "CLOUD_SECRET_KEY" {
				return envKey
			}
			return ""
		}
		db, err := Load(path, "", getenv)
		if err != nil {
			// Case-insensitive: a value may come back lower-cased.
			msg := strings.ToLower(err.Error())
			for _, s := range []string{fileKey, envKey, pw, base64.StdEncoding.EncodeToString([]byte(pw))} {
				if strings.Contains(msg, strings.ToLower(s)) {
					t.Fatalf("error quotes a secret: %v", err)
				}
			}
			return
		}
		if db.Host == "" || db.User == "" || db.Port == "" || db.Name == "" {
			t.Fatalf("loaded without host, user, port or name: %+v", db)
		}
	})
}
