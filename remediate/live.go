package remediate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/dbprops"
	"github.com/csaudit/csaudit/collectors/ipmi"
	"github.com/csaudit/csaudit/collectors/libvirt"
	"github.com/csaudit/csaudit/collectors/sshpool"
)

// DomainReader lists the domains libvirt has on one host, live.
type DomainReader interface {
	Domains(ctx context.Context, t collectors.Target) ([]collectors.Domain, error)
}

// Libvirt reads domains with the libvirt collector, restricted to one host
// and run through the collectors Runner: the same SSH verification, socket
// and virsh fallback as an audit.
type Libvirt struct {
	Config *collectors.Config
	Tool   collectors.Tool
}

// Domains implements DomainReader.
func (l Libvirt) Domains(ctx context.Context, t collectors.Target) ([]collectors.Domain, error) {
	pool, err := sshpool.New(l.Config)
	c := libvirt.NewWithPool(l.Config, pool, err)
	if pool != nil {
		defer pool.Close()
	}
	r := &collectors.Runner{
		Collectors: []collectors.Collector{c},
		Selected:   map[string]bool{collectors.NameLibvirt: true},
		Targets:    []collectors.Target{t},
		Timeout:    l.Config.CollectorTimeouts(),
		Tool:       l.Tool,
	}
	snap, err := r.Run(ctx)
	if err != nil {
		return nil, err
	}
	if h := snap.Hosts[t.SnapshotKey()]; h != nil && h.Domains != nil && h.Domains.Error == "" {
		return h.Domains.Domains, nil
	}
	var why []string
	for _, e := range snap.CollectorErrors {
		why = append(why, e.Error)
	}
	if len(why) == 0 {
		why = append(why, "no domains reported")
	}
	return nil, errors.New(strings.Join(why, "; "))
}

// PowerReader reads a host's chassis power over its BMC, live.
type PowerReader interface {
	Power(ctx context.Context, t collectors.Target) (string, error)
}

// IPMI reads chassis power with the ipmi collector, restricted to one host
// and run through the collectors Runner: one session, the configured cipher
// suite and credentials, the same lock-out guards as an audit.
type IPMI struct {
	Config *collectors.Config
	Tool   collectors.Tool
}

// Power implements PowerReader: "on" or "off".
func (i IPMI) Power(ctx context.Context, t collectors.Target) (string, error) {
	if i.Config == nil || i.Config.IPMI == nil || !i.Config.IPMI.Sessions {
		return "", errors.New("ipmi.sessions is off: chassis power is read only in an IPMI session")
	}
	r := &collectors.Runner{
		Collectors: []collectors.Collector{ipmi.New(i.Config)},
		Selected:   map[string]bool{collectors.NameIPMI: true},
		Targets:    []collectors.Target{t},
		Timeout:    i.Config.CollectorTimeouts(),
		Tool:       i.Tool,
	}
	snap, err := r.Run(ctx)
	if err != nil {
		return "", err
	}
	f := snap.OOBM[t.SnapshotKey()]
	switch {
	case f == nil:
		var why []string
		for _, e := range snap.CollectorErrors {
			why = append(why, e.Error)
		}
		if len(why) == 0 {
			why = append(why, "no BMC address for the host (oobm row or ipmi.addresses)")
		}
		return "", errors.New(strings.Join(why, "; "))
	case f.NotProbed != "":
		return "", errors.New(f.NotProbed)
	case f.Error != "":
		return "", errors.New(f.Error)
	case f.Auth != "ok":
		return "", fmt.Errorf("no session (auth %s)", f.Auth)
	case f.Power == "":
		return "", errors.New("the BMC did not report chassis power")
	}
	return f.Power, nil
}

// OpenFixDB connects with database.fix_dsn: the password comes from the dsn,
// database.fix_password_file or CSAUDIT_FIX_DB_PASSWORD, never from the
// audit account's settings. Errors never hold the password.
func OpenFixDB(cfg *collectors.Config, getenv func(string) string) (*sql.DB, string, error) {
	if cfg == nil || cfg.Database == nil || cfg.Database.FixDSN == "" {
		return nil, "", errors.New("database.fix_dsn is not set: fixes need an account with SELECT on the schema and UPDATE on vm_instance (docs/fixes.md)")
	}
	d := cfg.Database
	fc := *cfg
	fc.Database = &collectors.DatabaseConfig{DSN: d.FixDSN, PasswordFile: d.FixPasswordFile, TLS: d.TLS}
	mc, err := dbprops.ConnConfig(&fc, func(k string) string {
		if k == "CSAUDIT_DB_PASSWORD" {
			return getenv("CSAUDIT_FIX_DB_PASSWORD")
		}
		return getenv(k)
	})
	if err != nil {
		msg := strings.NewReplacer("database.dsn", "database.fix_dsn", "database.password_file", "database.fix_password_file").Replace(err.Error())
		return nil, "", errors.New(msg)
	}
	mc.MultiStatements = false
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, "", fmt.Errorf("database.fix_dsn: %v", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(2)
	return db, fmt.Sprintf("%s@%s/%s", mc.User, mc.Addr, mc.DBName), nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Identity is the connected database's db_identity, named by the server as
// the audit's snapshot names it (@@hostname, @@port, schema).
func Identity(ctx context.Context, q queryer) (string, error) {
	var host, schema sql.NullString
	var port sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT @@hostname, @@port, DATABASE()").Scan(&host, &port, &schema); err != nil {
		return "", fmt.Errorf("database identity: %w", err)
	}
	return fmt.Sprintf("%s:%d/%s", host.String, port.Int64, schema.String), nil
}
