package ipmi

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// Vectors made outside Go (collectors/dbprops tests them too): V2 with Python's cryptography AESGCM (key
// SHA-256(secret)), V1 with Python hashlib (PBKDF1-MD5, 1000 rounds) feeding
// `openssl enc -des-cbc -provider legacy`, salt 0102030405060708.
const (
	mgmtSecret   = "mgmt-secret-1"
	dbSecret     = "dbkey-secret"
	v2Canary     = "AAECAwQFBgcICQoLZbmUqkGVC7q+SDKjiJjlVHJnonUAczThZWfldQtykg==" // canary under dbSecret
	v1Calvin     = "AQIDBAUGBwj63wTdR9fQRg=="                                     // "calvin" under dbSecret
	v2DBSecret   = "AQIDBAUGBwgJCgsMWS2poduT+GrUp39nfyrFTfHyDyNmG+lUgeDCkQ=="     // dbSecret under mgmtSecret
	v2DBPassword = "AgMEBQYHCAkKCwwN0BsOGkOG+bcgMCG7hZDCwGksPcO2e0c/7zA="         // "auditpw-Q1" under mgmtSecret
)

// csSetup loads oobm rows into a real MariaDB with CloudStack's schema and
// writes a db.properties + key pointing at it through a SELECT-only account.
func csSetup(t *testing.T, mgmtKey string) (*collectors.DatabaseConfig, *collectors.Inventory) {
	t.Helper()
	needSims(t)
	m := testbed.SharedMariaDB(t)
	if err := m.CreateReadOnlyUser("ipmiauditor", "auditpw-Q1", "cloud"); err != nil {
		t.Fatal(err)
	}
	_, hp, _ := net.SplitHostPort(healthy.Addr())
	_, dp, _ := net.SplitHostPort(dellish.Addr())
	stmts := fmt.Sprintf("SET FOREIGN_KEY_CHECKS=0; DELETE FROM oobm;\n"+
		"INSERT INTO oobm (id, host_id, enabled, power_state, driver, address, port, username, password, update_count) VALUES "+
		"(1, 1, 1, 'On', 'ipmitool', '127.0.0.1', '%s', 'admin', '%s', 1), "+
		"(2, 2, 1, 'On', 'ipmitool', '127.0.0.1', '%s', 'root', '%s', 1);", hp, v2Canary, dp, v1Calvin)
	if err := m.Exec("cloud", stmts); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	props := fmt.Sprintf("db.cloud.host=127.0.0.1\ndb.cloud.port=%d\ndb.cloud.name=cloud\ndb.cloud.username=ipmiauditor\n"+
		"db.cloud.password=ENC(%s)\ndb.cloud.encryption.type=file\ndb.cloud.encrypt.secret=ENC(%s)\n", m.Port, v2DBPassword, v2DBSecret)
	if err := os.WriteFile(filepath.Join(dir, "db.properties"), []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(mgmtKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := inventory(host{id: "1", name: "kvm1", addr: healthy.Addr()}, host{id: "2", name: "kvm2", addr: dellish.Addr()})
	return &collectors.DatabaseConfig{DBProperties: filepath.Join(dir, "db.properties")}, inv
}

func TestCloudStackCredentialsFromTheDatabase(t *testing.T) {
	dbc, inv := csSetup(t, mgmtSecret)
	c := New(&collectors.Config{Database: dbc, IPMI: &collectors.IPMIConfig{
		Enabled: true, Sessions: true, UseCloudStackCredentials: true, CipherSuite: intp(3),
	}}).(*Collector)
	p, _ := collect(t, c, inv)
	if len(p.Errors) != 0 {
		t.Fatalf("collector errors: %+v", p.Errors)
	}
	f1, f2 := fact(t, p, "kvm1"), fact(t, p, "kvm2")
	if f1.Auth != authOK || f1.Credentials != "cloudstack" || !isFalse(f1.DefaultCreds) || f1.Power != "on" {
		t.Errorf("kvm1 with its V2-encrypted stored password: auth=%q (%s) creds=%q default=%v", f1.Auth, f1.AuthDetail, f1.Credentials, f1.DefaultCreds)
	}
	if f2.Auth != authOK || !isTrue(f2.DefaultCreds) || f2.DefaultVendor != "Dell iDRAC" {
		t.Errorf("kvm2 with its V1-encrypted root/calvin: auth=%q (%s) default=%v %q", f2.Auth, f2.AuthDetail, f2.DefaultCreds, f2.DefaultVendor)
	}
}

func TestCloudStackCredentialsWrongKeyIsACollectorError(t *testing.T) {
	dbc, inv := csSetup(t, "not-the-key")
	c := New(&collectors.Config{Database: dbc, IPMI: &collectors.IPMIConfig{
		Enabled: true, Sessions: true, UseCloudStackCredentials: true, CipherSuite: intp(3),
	}}).(*Collector)
	p, _ := collect(t, c, inv)
	if len(p.Errors) != 1 || p.Errors[0].Target != "credentials" {
		t.Fatalf("want one credentials error, got %+v", p.Errors)
	}
	if strings.Contains(p.Errors[0].Error, "not-the-key") || strings.Contains(p.Errors[0].Error, v2DBSecret) {
		t.Fatalf("error quotes a secret: %s", p.Errors[0].Error)
	}
	if f := fact(t, p, "kvm1"); f.Auth != authNotTried || !isTrue(f.Reachable) {
		t.Errorf("without credentials no login is tried: %+v", f)
	}
	if cv := p.Coverage[FactAuth]; cv.Failed["uuid-kvm1"] == "" {
		t.Errorf("hosts without credentials are not evaluated for oobm.auth: %+v", cv)
	}
	t.Logf("error: %s", p.Errors[0].Error)
}
