package dbprops

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/csaudit/csaudit/collectors"
)

// ConnConfig resolves the driver config from database.dsn (+ password_file or
// CSAUDIT_DB_PASSWORD) or, with no dsn, from db.properties. Errors name the
// source, never a secret.
func ConnConfig(cfg *collectors.Config, getenv func(string) string) (*mysql.Config, error) {
	if cfg == nil || cfg.Database == nil {
		return nil, errors.New("no database section in the config")
	}
	d := cfg.Database
	var mc *mysql.Config
	switch {
	case d.DSN != "":
		var err error
		mc, err = mysql.ParseDSN(d.DSN)
		if err != nil {
			return nil, fmt.Errorf("database.dsn: not a valid DSN (user@tcp(host:port)/schema): %v", scrubDSNError(err, d.DSN))
		}
		if mc.Passwd == "" {
			switch {
			case d.PasswordFile != "":
				b, err := collectors.ReadFileCapped(resolve(cfg, d.PasswordFile), maxPropsBytes)
				if err != nil {
					return nil, fmt.Errorf("database.password_file %s: %v", d.PasswordFile, err)
				}
				mc.Passwd = strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r")
			case getenv("CSAUDIT_DB_PASSWORD") != "":
				mc.Passwd = getenv("CSAUDIT_DB_PASSWORD")
			}
		}
	case d.DBProperties != "":
		p, err := Load(resolve(cfg, d.DBProperties), keyPath(cfg), getenv)
		if err != nil {
			return nil, err
		}
		mc = mysql.NewConfig()
		mc.User, mc.Passwd, mc.Net, mc.Addr, mc.DBName = p.User, p.Password, "tcp", net.JoinHostPort(p.Host, p.Port), p.Name
		if p.UseSSL && d.TLS == "" {
			mc.TLSConfig = "true"
		}
	default:
		return nil, errors.New("database: needs dsn or db_properties")
	}
	if mc.DBName == "" {
		return nil, errors.New("database.dsn names no schema (…/cloud)")
	}
	if err := applyTLS(mc, cfg); err != nil {
		return nil, err
	}
	mc.Timeout = 10 * time.Second
	mc.ReadTimeout = 60 * time.Second
	mc.WriteTimeout = 30 * time.Second
	mc.ParseTime = false
	mc.InterpolateParams = false
	mc.MultiStatements = false
	mc.AllowAllFiles = false
	// Reads come back as text in UTC; invalid UTF-8 is repaired later.
	mc.Params = map[string]string{"time_zone": "'+00:00'"}
	mc.Collation = "utf8mb4_general_ci"
	return mc, nil
}

func keyPath(cfg *collectors.Config) string {
	if cfg.Database.KeyFile == "" {
		return ""
	}
	return resolve(cfg, cfg.Database.KeyFile)
}

// resolve makes a path from the config relative to the config file's folder.
func resolve(cfg *collectors.Config, p string) string {
	if filepath.IsAbs(p) || cfg.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(cfg.Path), p)
}

// applyTLS maps database.tls: "" (driver default, no TLS), true,
// skip-verify, preferred, or the path of a CA bundle.
func applyTLS(mc *mysql.Config, cfg *collectors.Config) error {
	t := cfg.Database.TLS
	switch t {
	case "":
		return nil
	case "true", "skip-verify", "preferred", "false":
		mc.TLSConfig = t
		return nil
	}
	b, err := collectors.ReadFileCapped(resolve(cfg, t), maxPropsBytes)
	if err != nil {
		return fmt.Errorf("database.tls %s: %v", t, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return fmt.Errorf("database.tls %s: no PEM certificate in it", t)
	}
	host, _, _ := net.SplitHostPort(mc.Addr)
	mc.TLS = &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
	return nil
}

// scrubDSNError drops the DSN (which may hold a password) from a parse error.
func scrubDSNError(err error, dsn string) string {
	s := err.Error()
	if dsn != "" {
		s = strings.ReplaceAll(s, dsn, "<dsn>")
	}
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.Index(dsn[:i], ":"); j >= 0 && j+1 < i {
			s = strings.ReplaceAll(s, dsn[j+1:i], "<password>")
		}
	}
	return s
}
