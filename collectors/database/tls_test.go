package database

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures/testbed"
)

// TestTLS starts a MariaDB that requires TLS for the audit account and
// checks database.tls with a CA file, and the clear errors without it.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, srv, key := writeCerts(t, dir)
	m, err := testbed.StartMariaDB(filepath.Join(dir, "db"), "--ssl-ca="+ca, "--ssl-cert="+srv, "--ssl-key="+key)
	if errors.Is(err, testbed.ErrMissing) {
		testbed.Missing(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	if err := m.Exec("", "CREATE DATABASE tls; CREATE TABLE tls.version (id BIGINT UNSIGNED PRIMARY KEY, version CHAR(40), updated DATETIME, step CHAR(32));"+
		"INSERT INTO tls.version VALUES (1, '4.22.0.0', '2026-11-01 00:00:00', 'Complete');"+
		"CREATE USER 'tlsuser'@'127.0.0.1' IDENTIFIED BY 'tls-pw' REQUIRE SSL; GRANT SELECT ON tls.* TO 'tlsuser'@'127.0.0.1'"); err != nil {
		t.Fatal(err)
	}
	cfgWith := func(tls string) *collectors.Config {
		c := config(t, m, "tlsuser", "tls-pw", "tls")
		c.Database.TLS = tls
		return c
	}
	p, err := collect(t, cfgWith(ca))
	if err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	if p.Database == nil || p.Database.CSVersion != "4.22.0.0" {
		t.Errorf("identity over TLS = %+v", p.Database)
	}
	if _, err := collect(t, cfgWith("")); err == nil || !strings.Contains(err.Error(), "1045") {
		t.Errorf("without TLS: err = %v, want access denied", err)
	}
	if _, err := collect(t, cfgWith("true")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("tls=true with an unknown CA: err = %v, want a certificate error", err)
	}
	if _, err := collect(t, cfgWith(filepath.Join(dir, "missing.pem"))); err == nil || !strings.Contains(err.Error(), "database.tls") {
		t.Errorf("missing CA file: err = %v", err)
	}
}

func writeCerts(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "csaudit test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	put := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return put("ca.pem", "CERTIFICATE", caDER), put("server.pem", "CERTIFICATE", srvDER),
		put("server-key.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(srvKey))
}
