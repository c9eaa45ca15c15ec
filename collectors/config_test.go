package collectors

import (
	"strings"
	"testing"
	"time"
)

// Loading applies every default of the sections present, adds libvirt with
// ssh (it rides on the same connections), and never adds a section that would
// select a collector.
func TestLoadAppliesDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte("ssh:\n  concurrency: 8\nipmi:\n  enabled: true\ntimeouts:\n  database: 2m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.SSH; s.User != DefaultSSHUser || s.Concurrency != 8 || time.Duration(s.ConnectTimeout) != DefaultSSHConnectTimeout || time.Duration(s.CommandTimeout) != DefaultSSHCommandTimeout {
		t.Errorf("ssh %+v", *s)
	}
	if l := cfg.Libvirt; l == nil || l.Socket != DefaultLibvirtSocket || l.URI != DefaultLibvirtURI {
		t.Errorf("libvirt %+v", l)
	}
	if i := cfg.IPMI; time.Duration(i.Timeout) != DefaultIPMITimeout || i.Concurrency != DefaultIPMIConcurrency || i.CipherSuite == nil || *i.CipherSuite != DefaultIPMICipherSuite {
		t.Errorf("ipmi %+v", *i)
	}
	if got := time.Duration(cfg.Timeouts[NameDatabase]); got != 2*time.Minute {
		t.Errorf("database timeout %v, want the configured 2m", got)
	}
	if got := time.Duration(cfg.Timeouts[NameHosts]); got != DefaultCollectorTimeout {
		t.Errorf("hosts timeout %v", got)
	}
	if cfg.Database != nil || cfg.Local != nil {
		t.Error("defaults added a section that selects a collector")
	}
	before := *cfg.SSH
	cfg.ApplyDefaults()
	if s := *cfg.SSH; s.User != before.User || s.Concurrency != before.Concurrency || s.ConnectTimeout != before.ConnectTimeout {
		t.Error("ApplyDefaults is not idempotent")
	}
}

func TestSelect(t *testing.T) {
	cfg, err := ParseConfig([]byte("database:\n  dsn: u@tcp(db:3306)/cloud\n"))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := cfg.Select("")
	if err != nil || strings.Join(SelectedNames(sel), ",") != "database" {
		t.Errorf("from sections: %v %v", sel, err)
	}
	if sel, err = cfg.Select("ipmi,local"); err != nil || strings.Join(SelectedNames(sel), ",") != "local,ipmi" {
		t.Errorf("--collectors ipmi,local: %v %v", sel, err)
	}
	for list, want := range map[string]string{
		"bogus": `--collectors: unknown collector "bogus"`,
		"hosts": "collector hosts is selected but no --config with a ssh: section was given",
	} {
		if _, err := cfg.Select(list); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", list, err, want)
		}
	}
	if _, err := (&Config{}).Select(""); err == nil || !strings.HasPrefix(err.Error(), "nothing to collect") {
		t.Errorf("empty config: %v", err)
	}
}

// The printable config shows that a secret is set, never the secret.
func TestRedacted(t *testing.T) {
	cfg, err := ParseConfig([]byte(`database:
  dsn: "audit:hunter2@tcp(db:3306)/cloud?tls=skip-verify"
  fix_dsn: "fixer:s3cr@t@tcp(db:3306)/cloud"
ipmi:
  password: bmc-pw
api:
  api_key: the-api-key
  secret_key_file: /etc/csaudit/secret
`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Redacted()
	for _, secret := range []string{"hunter2", "s3cr@t", "bmc-pw", "the-api-key"} {
		for _, v := range []string{r.Database.DSN, r.Database.FixDSN, r.IPMI.Password, r.API.APIKey} {
			if strings.Contains(v, secret) {
				t.Errorf("%q shows %q", v, secret)
			}
		}
	}
	if r.Database.DSN != "audit:<set>@tcp(db:3306)/cloud?tls=skip-verify" || r.Database.FixDSN != "fixer:<set>@tcp(db:3306)/cloud" {
		t.Errorf("dsn %q, fix_dsn %q", r.Database.DSN, r.Database.FixDSN)
	}
	// Found by FuzzConfig: a password with '(' was taken for the address and
	// printed. The driver's own parse says where the password is.
	for dsn, want := range map[string]string{
		"u:p(ss@w0rd@tcp(db:3306)/cloud": "u:<set>@tcp(db:3306)/cloud",
		":(0000000@/":                    ":<set>@/",
		"u:a/b@unix(/run/mysqld.sock)/c": "u:<set>@unix(/run/mysqld.sock)/c",
		"u@tcp(db)/cloud":                "u@tcp(db)/cloud",
		"u:pw@tcp(db)":                   "u:<set>@tcp(db)",
	} {
		if got := redactDSN(dsn); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
	if r.API.SecretKeyFile != "/etc/csaudit/secret" {
		t.Error("a secret file's path is not a secret")
	}
	if cfg.IPMI.Password != "bmc-pw" {
		t.Error("Redacted changed the config it copied")
	}
}
