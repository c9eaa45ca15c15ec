package pipeline

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"go.yaml.in/yaml/v3"

	"github.com/csaudit/csaudit/collectors"
)

// fuzzSecret replaces @SECRET@ in a fuzzed file: the seeds put it where a
// secret sits (a dsn password, ipmi.password, api.api_key).
const fuzzSecret = "FUZZ-CANARY-s3cret"

var configSeeds = []string{
	"database:\n  dsn: \"audit:@SECRET@@tcp(10.0.0.5:3306)/cloud\"\n  fix_dsn: \"fix:@SECRET@@unix(/run/mysqld.sock)/cloud\"\n",
	"database:\n  db_properties: /etc/cloudstack/management/db.properties\n  key_file: key\n",
	"ssh:\n  user: csaudit\n  identity_files: [/etc/csaudit/id_ed25519]\n  known_hosts: kh\n  concurrency: 4\n  connect_timeout: 5s\n  addresses: {kvm1: \"10.0.0.9:22\"}\n",
	"ipmi:\n  enabled: true\n  sessions: true\n  username: admin\n  password: @SECRET@\n  cipher_suite: 17\n  timeout: 2s\n",
	"ipmi:\n  password: !secret @SECRET@\n",
	"api:\n  endpoint: https://cs.example/client/api\n  api_key: @SECRET@\n  secret_key_file: s.key\n",
	"name: prod-eu\nlocal:\n  root: /\ninventory:\n  - {name: kvm1, address: 10.0.0.9, hypervisor: KVM}\npolicies:\n  dirs: [p]\n  params: {vm_stuck_minutes: 45}\nwaivers: w.yaml\ntimeouts: {database: 30s, evaluation: 1m}\n",
	"ssh:\n  user: a\n---\nipmi:\n  password: @SECRET@\n",
	"ssh:\n  connect_timeout: @SECRET@\n  concurrency: @SECRET@\n",
	"ipmi: {password: &a @SECRET@, username: *a}\n",
	"ipmi:\n  password: \"@SECRET@\n",
}

// FuzzConfig loads any config file the way every command does. Properties:
// no panic; an error never quotes a value from the file (keys may be named);
// nothing is logged that holds a secret; `config show` (the redacted config)
// never prints a secret; the effective config written out reads back to
// the same config.
func FuzzConfig(f *testing.F) {
	for _, s := range configSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.ReplaceAll(b, []byte("@SECRET@"), []byte(fuzzSecret))
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var logged bytes.Buffer
		cfg, err := LoadConfig(path, slog.New(slog.NewTextHandler(&logged, nil)))
		if strings.Contains(logged.String(), fuzzSecret) {
			t.Fatalf("the log holds a secret: %s", logged.String())
		}
		if err != nil {
			checkNoValueEchoed(t, b, strings.ReplaceAll(err.Error(), path, "FILE"))
			if !strings.HasPrefix(err.Error(), "config "+path+": ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("not one line naming the file: %q", err)
			}
			return
		}
		shown, err := yaml.Marshal(cfg.Redacted())
		if err != nil {
			t.Fatalf("config show: %v", err)
		}
		for _, s := range secrets(cfg) {
			if strings.Contains(string(shown), s) && !strings.Contains(string(withoutSecrets(t, cfg)), s) {
				t.Fatalf("config show prints a secret:\n%s", shown)
			}
		}
		out, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatalf("the effective config does not encode: %v", err)
		}
		again, err := collectors.ParseConfig(out)
		if err != nil {
			t.Fatalf("the effective config does not read back: %v\n%s", err, out)
		}
		// Compared as written: YAML writes nil and empty lists alike.
		if out2, err := yaml.Marshal(again); err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("the effective config reads back differently (%v):\n%s\n---\n%s", err, out, out2)
		}
	})
}

// secrets are the config's secret values worth looking for (4 bytes or more).
func secrets(cfg *collectors.Config) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 4 {
			out = append(out, s)
		}
	}
	if d := cfg.Database; d != nil {
		for _, dsn := range []string{d.DSN, d.FixDSN} {
			if mc, err := mysql.ParseDSN(dsn); err == nil {
				add(mc.Passwd)
			}
		}
	}
	if cfg.IPMI != nil {
		add(cfg.IPMI.Password)
	}
	if cfg.API != nil {
		add(cfg.API.APIKey)
	}
	return out
}

// withoutSecrets is the redacted config with the secret fields emptied: a
// secret found there sits in another field too (a user named like the
// password) and is not a leak.
func withoutSecrets(t *testing.T, cfg *collectors.Config) []byte {
	c := cfg.Redacted()
	if c.Database != nil {
		d := *c.Database
		d.DSN, d.FixDSN = "", ""
		c.Database = &d
		for _, dsn := range []string{cfg.Database.DSN, cfg.Database.FixDSN} {
			if mc, err := mysql.ParseDSN(dsn); err == nil {
				d.DSN += " " + mc.User + " " + mc.Addr + " " + mc.DBName + " " + mc.Net
			}
		}
	}
	if c.IPMI != nil {
		i := *c.IPMI
		i.Password = ""
		c.IPMI = &i
	}
	if c.API != nil {
		a := *c.API
		a.APIKey = ""
		c.API = &a
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkNoValueEchoed fails when msg holds a scalar value of the YAML in b
// (8 bytes or more, not also used as a key), or the planted secret where it
// is not a key.
func checkNoValueEchoed(t *testing.T, b []byte, msg string) {
	t.Helper()
	values, keys := scalars(b)
	if !keys[fuzzSecret] && strings.Contains(msg, fuzzSecret) {
		t.Fatalf("the error quotes the secret: %s", msg)
	}
	for v := range values {
		if len(v) >= 8 && !keys[v] && !keyHolds(keys, v) && strings.Contains(msg, v) {
			t.Fatalf("the error quotes the value %q: %s", v, msg)
		}
	}
}

// keyHolds: a value inside a key (named by an "unknown field" error) is named
// with that key.
func keyHolds(keys map[string]bool, v string) bool {
	for k := range keys {
		if strings.Contains(k, v) {
			return true
		}
	}
	return false
}

// scalars returns the YAML's scalar values (mapping values, list items, the
// document itself) and its keys, over every document; nothing when it does
// not parse.
func scalars(b []byte) (values, keys map[string]bool) {
	values, keys = map[string]bool{}, map[string]bool{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.ScalarNode:
			values[n.Value] = true
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Kind == yaml.ScalarNode {
					keys[n.Content[i].Value] = true
				} else {
					walk(n.Content[i])
				}
				walk(n.Content[i+1])
			}
		default:
			for _, c := range n.Content {
				walk(c)
			}
		}
	}
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return values, keys
		}
		walk(&doc)
	}
}

// FuzzWaivers loads any waiver file. Properties: no panic; an error is one
// line naming the file and never quotes a tagged value or a value of a file
// that is not valid YAML; every accepted waiver has its required fields and
// an expiry that parses; accepted waivers encode as JSON.
func FuzzWaivers(f *testing.F) {
	for _, s := range []string{
		"waivers:\n  - check: CSA-SET-001\n    resource: \"kvm-*\"\n    justification: lab\n    approver: alice\n    expires: 2027-01-31\n",
		"waivers:\n  - {check: CSA-HA-001, resource: 6f0d2a0e-1111-4a4a-9a9a-000000000010, justification: x, approver: y, expires: \"2027-01-31T10:00:00Z\"}\n",
		"waivers:\n  - check: !x @SECRET@\n",
		"waivers:\n  - check: CSA-1\n    resource: \"[\"\n    justification: j\n    approver: a\n    expires: 2027-01-31\n",
		"waivers: []\n---\nwaivers: []\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.ReplaceAll(b, []byte("@SECRET@"), []byte(fuzzSecret))
		path := filepath.Join(t.TempDir(), "waivers.yaml")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		ws, err := LoadWaivers(&collectors.Config{}, path)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "waivers "+path+": ") || strings.Contains(msg, "\n") {
				t.Fatalf("not one line naming the file: %q", msg)
			}
			// Structural refusals (tags, documents, syntax) quote nothing.
			if _, ferr := yamlFields(b); ferr != nil {
				checkNoValueEchoed(t, b, strings.ReplaceAll(msg, path, "FILE"))
			}
			return
		}
		for i, w := range ws {
			if strings.TrimSpace(w.Check) == "" || strings.TrimSpace(w.Resource) == "" || strings.TrimSpace(w.Approver) == "" ||
				strings.TrimSpace(w.Justification) == "" || strings.TrimSpace(w.Expires) == "" {
				t.Fatalf("waiver %d accepted without a required field: %+v", i+1, w)
			}
		}
		if _, err := json.Marshal(ws); err != nil {
			t.Fatalf("waivers do not encode: %v", err)
		}
	})
}
