package ipmi

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/dbprops"
)

// use_cloudstack_credentials: CloudStack's stored oobm.username/password,
// decrypted with the database key, held in memory for this run only. The
// database collector never reads secrets, so this is a separate, narrow read:
// db.properties for the key and the connection, then one SELECT of oobm in a
// read-only transaction. Nothing here is recorded except where credentials came
// from; errors never quote a value read from db.properties or the database.

// dbQueryTimeout bounds the whole credential read.
const dbQueryTimeout = 15 * time.Second

func (c *Collector) loadCloudStackCredentials(ctx context.Context) (map[string]credential, error) {
	if c.db == nil || c.db.DBProperties == "" {
		return nil, errors.New("needs database.db_properties: the database key that encrypts oobm.password is configured there")
	}
	keyFile := ""
	if c.db.KeyFile != "" {
		keyFile = c.resolve(c.db.KeyFile)
	}
	props, err := dbprops.Open(c.resolve(c.db.DBProperties), keyFile, os.Getenv)
	if err != nil {
		return nil, err
	}
	dbKey, err := props.Value("db.cloud.encrypt.secret")
	if err != nil {
		return nil, err
	}
	// The same connection the database collector would use (dsn, or zero-config
	// from db.properties), with tighter limits for this one short read.
	mc, err := dbprops.ConnConfig(&collectors.Config{Database: c.db, Path: c.cfgPath}, os.Getenv)
	if err != nil {
		return nil, err
	}
	mc.Timeout, mc.ReadTimeout, mc.WriteTimeout = 10*time.Second, 15*time.Second, 15*time.Second
	rows, err := readOOBMCredentials(ctx, mc)
	if err != nil {
		return nil, err
	}
	version := props.Values["db.cloud.encryptor.version"]
	out := map[string]credential{}
	var bad []string
	for _, r := range rows {
		pw := r.password
		if dbKey != "" && pw != "" {
			pw, err = dbprops.Decrypt(dbKey, r.password, version)
			if err != nil {
				bad = append(bad, r.hostID)
				continue
			}
		}
		out[r.hostID] = credential{User: r.user, Password: pw, Source: "cloudstack"}
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("oobm.password of host id(s) %s could not be decrypted with the database key", strings.Join(bad, ", "))
	}
	return out, nil
}

func (c *Collector) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.baseDir == "" {
		return p
	}
	return filepath.Join(c.baseDir, p)
}

type oobmCred struct{ hostID, user, password string }

// readOOBMCredentials selects only the oobm columns it needs inside a short
// read-only transaction with lock and statement time limits.
func readOOBMCredentials(ctx context.Context, mc *mysql.Config) ([]oobmCred, error) {
	ctx, cancel := context.WithTimeout(ctx, dbQueryTimeout)
	defer cancel()
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, errors.New("database connection settings are invalid")
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("database %s@%s: %s", mc.User, mc.Addr, dbError(err))
	}
	defer conn.Close()
	_, _ = conn.ExecContext(ctx, "SET SESSION lock_wait_timeout = 10")
	_, _ = conn.ExecContext(ctx, "SET SESSION max_statement_time = 10") // MariaDB; MySQL ignores the failure
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, fmt.Errorf("database: read-only transaction: %s", dbError(err))
	}
	defer tx.Rollback() //nolint:errcheck // read-only; Commit below ends it
	rows, err := tx.QueryContext(ctx, "SELECT host_id, username, password FROM oobm WHERE host_id IS NOT NULL")
	if err != nil {
		return nil, fmt.Errorf("database: reading oobm credentials: %s", dbError(err))
	}
	defer rows.Close()
	var out []oobmCred
	for rows.Next() {
		var id int64
		var user, pw sql.NullString
		if err := rows.Scan(&id, &user, &pw); err != nil {
			return nil, errors.New("database: unexpected oobm row")
		}
		out = append(out, oobmCred{hostID: strconv.FormatInt(id, 10), user: user.String, password: pw.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("database: reading oobm credentials: %s", dbError(err))
	}
	if err := tx.Commit(); err != nil {
		return nil, errors.New("database: ending the read-only transaction failed")
	}
	return out, nil
}

// dbError names a database failure with a fixed text: the server's error
// number and a name for the common ones, or the kind of network failure. Raw
// driver text is not passed on, so no value from db.properties can reach an
// error.
func dbError(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		names := map[uint16]string{
			1044: "access denied to the database", 1045: "access denied (user or password)",
			1049: "unknown database", 1142: "SELECT denied on a table", 1146: "table does not exist",
			1969: "statement time limit reached", 1205: "lock wait timeout",
		}
		if n, ok := names[me.Number]; ok {
			return fmt.Sprintf("server error %d (%s)", me.Number, n)
		}
		return fmt.Sprintf("server error %d", me.Number)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, driver.ErrBadConn):
		return "connection lost"
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return "network error (" + ne.Op + ")"
	}
	return "unexpected driver error"
}
