// Package database is csaudit's inventory collector: everything it learns from
// CloudStack's MySQL/MariaDB database, read under DESIGN.md's safety rules —
// one connection, REPEATABLE READ, lock and statement timeouts, one short
// START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY, a compiled-in
// allowlist of (table, column) pairs, no views, and a stop when the version
// table shows an upgrade in progress. Secret values are decided inside the
// server (CASE … THEN NULL) so they never cross the wire.
//
// The account to audit with needs SELECT on the CloudStack schema only:
//
//	CREATE USER 'csaudit_ro'@'10.0.0.%' IDENTIFIED BY '…';
//	GRANT SELECT ON cloud.* TO 'csaudit_ro'@'10.0.0.%';
//	-- optional, to record replication status:
//	-- MariaDB: GRANT SLAVE MONITOR ON *.* …; MySQL: GRANT REPLICATION CLIENT ON *.* …
//
// Snapshot conventions: tables keyed by id; CloudStack's boolean columns
// (tinyint(1)/int(1) flags) as JSON booleans; other integers as numbers;
// datetimes as RFC 3339 UTC; SHOW GLOBAL VARIABLES under db.mysql_variables
// and information_schema sizes under db.table_sizes, both keyed by name.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/dbprops"
)

// Collector reads CloudStack's database.
type Collector struct {
	cfg    *collectors.Config
	getenv func(string) string
	clock  time.Time
}

// New returns the database collector for cfg.
func New(cfg *collectors.Config) collectors.Collector {
	return &Collector{cfg: cfg, getenv: os.Getenv}
}

// NewAt is New with the session clock pinned (SET timestamp), so db_now and
// the recent-row windows are computed at at. Only for turning a generated lab
// (fixtures/labgen, whose timestamps are relative to a fixed clock) into a
// reproducible snapshot; real audits use New.
func NewAt(cfg *collectors.Config, at time.Time) collectors.Collector {
	return &Collector{cfg: cfg, getenv: os.Getenv, clock: at.UTC()}
}

// Name is "database".
func (c *Collector) Name() string { return collectors.NameDatabase }

// Stage is the inventory stage.
func (c *Collector) Stage() int { return collectors.StageInventory }

// ErrUpgradeInProgress is returned when the version table's latest step is
// not Complete: the schema is changing under us, so nothing is read.
var ErrUpgradeInProgress = errors.New("CloudStack database upgrade in progress")

// Collect connects, reads every allowlisted table inside one read-only
// consistent snapshot, commits, then records the server's identity. A
// failing table is recorded in coverage and collector_errors; a failure to
// connect or an upgrade in progress fails the whole collector.
func (c *Collector) Collect(ctx context.Context, inv *collectors.Inventory) (*collectors.Part, error) {
	return c.CollectEarly(ctx, inv, nil)
}

// CollectEarly is Collect that calls early once the tables stage 2 needs
// (collectors.InventoryTables, read first) are in, with those tables, the
// database clock and its offset against ours, and reads on.
func (c *Collector) CollectEarly(ctx context.Context, _ *collectors.Inventory, early func(*collectors.Part)) (*collectors.Part, error) {
	part := &collectors.Part{DB: map[string]collectors.Table{}, Coverage: map[string]*collectors.Coverage{}}
	mc, err := dbprops.ConnConfig(c.cfg, c.getenv)
	if err != nil {
		failAll(part, err.Error())
		return part, err
	}
	r := &reader{part: part, where: describe(mc), schema: mc.DBName, clock: c.clock, early: early}
	err = r.run(ctx, mc)
	if err != nil {
		failAll(part, err.Error())
	}
	return part, err
}

// reader holds one collection run.
type reader struct {
	part   *collectors.Part
	where  string // user@addr/schema for errors
	schema string
	conn   *sql.Conn
	cols   map[string]map[string]colInfo // table → column → type
	sizes  collectors.Table
	clock  time.Time
	// The server clock against ours (readClock); offErr says why it is unknown.
	offset, offUnc *float64
	offErr         string
	// early, when set, is given the inventory tables once they are read.
	early func(*collectors.Part)
}

type colInfo struct {
	dataType string
}

func (r *reader) run(ctx context.Context, mc *mysql.Config) error {
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return fmt.Errorf("database %s: %v", r.where, err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("database %s: %w", r.where, err)
	}
	defer conn.Close()
	r.conn = conn
	if err := r.session(ctx); err != nil {
		return err
	}
	if err := r.loadSchemaInfo(ctx); err != nil {
		return err
	}
	if err := r.readSnapshot(ctx); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	r.identity(ctx)
	return nil
}

// session sets the isolation level and the lock and statement limits before
// the transaction starts.
func (r *reader) session(ctx context.Context) error {
	for _, q := range []string{
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"SET SESSION lock_wait_timeout = 10",
		"SET SESSION innodb_lock_wait_timeout = 10",
	} {
		if _, err := r.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("database %s: %s: %w", r.where, q, err)
		}
	}
	if !r.clock.IsZero() {
		if _, err := r.conn.ExecContext(ctx, "SET SESSION timestamp = "+strconv.FormatInt(r.clock.Unix(), 10)); err != nil {
			return fmt.Errorf("database %s: pinning the session clock: %w", r.where, err)
		}
	}
	// MariaDB counts seconds in max_statement_time; MySQL has max_execution_time in ms.
	if _, err := r.conn.ExecContext(ctx, "SET SESSION max_statement_time = 60"); err != nil {
		if _, err2 := r.conn.ExecContext(ctx, "SET SESSION max_execution_time = 60000"); err2 != nil {
			return fmt.Errorf("database %s: cannot set a statement time limit: %v; %v", r.where, err, err2)
		}
	}
	return nil
}

// readClock measures the server's clock against the auditor's: UTC_TIMESTAMP(6)
// read between two local timestamps, offset against their midpoint, and the
// uncertainty half the round trip; the best of three reads is kept. With the
// session clock pinned (NewAt) the server answers the pin, which stands for
// the auditor's clock, so the offset is 0 by construction.
func (r *reader) readClock(ctx context.Context) {
	best := time.Duration(-1)
	for range 3 {
		var s string
		t0 := time.Now()
		err := r.conn.QueryRowContext(ctx, "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%fZ')").Scan(&s)
		t1 := time.Now()
		if err != nil {
			r.offErr = "UTC_TIMESTAMP(6): " + err.Error()
			return
		}
		db, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			r.offErr = fmt.Sprintf("UTC_TIMESTAMP(6) %q: %v", s, err)
			return
		}
		rtt := t1.Sub(t0)
		if best >= 0 && rtt >= best {
			continue
		}
		best = rtt
		var off, unc float64
		if r.clock.IsZero() {
			mid := t0.Add(rtt / 2).Round(0) // wall clock: db carries no monotonic reading
			off = float64(db.Sub(mid).Microseconds()) / 1000
			unc = float64((rtt / 2).Microseconds()) / 1000
		} else {
			off = float64(db.Sub(r.clock).Microseconds()) / 1000
		}
		r.offset, r.offUnc = &off, &unc
	}
}

// loadSchemaInfo learns which allowlisted tables and columns this version has
// (information_schema may only drop columns from the allowlist, never add).
func (r *reader) loadSchemaInfo(ctx context.Context) error {
	r.cols = map[string]map[string]colInfo{}
	rows, err := r.conn.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()")
	if err != nil {
		return fmt.Errorf("database %s: reading information_schema.COLUMNS: %w", r.where, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t, c, dt string
		if err := rows.Scan(&t, &c, &dt); err != nil {
			return fmt.Errorf("database %s: information_schema.COLUMNS: %w", r.where, err)
		}
		if r.cols[t] == nil {
			r.cols[t] = map[string]colInfo{}
		}
		r.cols[t][c] = colInfo{dataType: strings.ToLower(dt)}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("database %s: information_schema.COLUMNS: %w", r.where, err)
	}
	if len(r.cols) == 0 {
		return fmt.Errorf("database %s: schema %q has no tables this account can see (wrong schema, or no SELECT grant on it)", r.where, r.schema)
	}
	r.sizes = collectors.Table{}
	sizes := collectors.NewRows()
	rows2, err := r.conn.QueryContext(ctx, "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
	if err != nil {
		return fmt.Errorf("database %s: reading information_schema.TABLES: %w", r.where, err)
	}
	defer rows2.Close()
	for rows2.Next() {
		var name, typ string
		var engine sql.NullString
		var n, data, idx sql.NullInt64
		if err := rows2.Scan(&name, &typ, &engine, &n, &data, &idx); err != nil {
			return fmt.Errorf("database %s: information_schema.TABLES: %w", r.where, err)
		}
		if typ != "BASE TABLE" {
			delete(r.cols, name) // views are never read
			continue
		}
		r.sizes[name] = sizes.AddMap(map[string]any{"name": validUTF8(name), "engine": nullStr(engine), "table_rows": nullInt(n), "data_length": nullInt(data), "index_length": nullInt(idx)})
	}
	return rows2.Err()
}

func (r *reader) readSnapshot(ctx context.Context) error {
	if _, err := r.conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return fmt.Errorf("database %s: START TRANSACTION: %w", r.where, err)
	}
	var now string
	if err := r.conn.QueryRowContext(ctx, "SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ')").Scan(&now); err != nil {
		return fmt.Errorf("database %s: UTC_TIMESTAMP(): %w", r.where, err)
	}
	t, err := time.Parse(time.RFC3339, now)
	if err != nil {
		return fmt.Errorf("database %s: UTC_TIMESTAMP() %q: %v", r.where, now, err)
	}
	r.part.DBNow = &t
	r.readClock(ctx)
	if err := r.readVersion(ctx); err != nil {
		return err
	}
	details := map[string]collectors.Table{}
	for _, sp := range specs {
		tab, cov, err := r.readTable(ctx, sp)
		r.part.Coverage["db."+sp.table] = cov
		if err != nil {
			if cov.Failed == nil {
				cov.Failed = map[string]string{}
			}
			cov.Failed[sp.table] = err.Error()
			r.part.Errors = append(r.part.Errors, collectors.CollectorError{Collector: collectors.NameDatabase, Target: sp.table, Error: err.Error()})
			if !r.inTransaction(ctx) {
				// Reading on would mix newer data into the snapshot.
				return fmt.Errorf("database %s: the server ended the read-only transaction after %s failed; the remaining tables were not read", r.where, sp.table)
			}
			continue
		}
		r.part.DB[sp.table] = tab
		if sp.scope != "" {
			details[sp.table] = tab
		}
		r.handOver(sp.table)
	}
	conf, err := r.readConfiguration(ctx)
	cov := &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{}}
	if err != nil {
		cov.Failed = map[string]string{"configuration": err.Error()}
		r.part.Errors = append(r.part.Errors, collectors.CollectorError{Collector: collectors.NameDatabase, Target: "configuration", Error: err.Error()})
	} else {
		cov.Collected = append(cov.Collected, "configuration")
		r.part.Settings = foldSettings(conf, details)
	}
	for _, sp := range specs {
		if sp.scope == "" {
			continue
		}
		if _, ok := details[sp.table]; ok {
			cov.Collected = append(cov.Collected, sp.table)
		} else if c := r.part.Coverage["db."+sp.table]; c != nil && c.Failed[sp.table] != "" {
			cov.Notes = append(cov.Notes, fmt.Sprintf("%s overrides not collected: %s", sp.scope, c.Failed[sp.table]))
		}
	}
	sort.Strings(cov.Collected)
	cov.Notes = append(cov.Notes, "values of Hidden/Secure and secret-named settings are not read: only is_set and equals_default (for an encrypted value, equals_default is true only when it is unset)")
	r.part.Coverage["settings"] = cov
	if _, err := r.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("database %s: COMMIT: %w", r.where, err)
	}
	return nil
}

// handOver calls early once the last inventory table is read (should one
// fail, stage 2 waits for the whole collection, as without early). The
// tables are handed as they are: nothing changes them once read.
func (r *reader) handOver(table string) {
	if r.early == nil {
		return
	}
	inv := collectors.InventoryTables
	if table != inv[len(inv)-1] {
		return
	}
	p := &collectors.Part{DB: map[string]collectors.Table{}, DBNow: r.part.DBNow,
		Database: &collectors.DBIdentity{Schema: r.schema, ClockOffsetMS: r.offset, ClockUncertaintyMS: r.offUnc}}
	for _, name := range inv {
		if t, ok := r.part.DB[name]; ok {
			p.DB[name] = t
		}
	}
	r.early(p)
	r.early = nil
}

// inTransaction reports whether the consistent snapshot is still open after
// a failed statement (a lock wait timeout keeps it; some errors roll it back).
// MySQL has no @@in_transaction: there it is assumed open.
func (r *reader) inTransaction(ctx context.Context) bool {
	var in int
	if err := r.conn.QueryRowContext(ctx, "SELECT @@in_transaction").Scan(&in); err != nil {
		return ctx.Err() == nil
	}
	return in == 1
}

// readVersion stops the run when the newest version row is not Complete.
func (r *reader) readVersion(ctx context.Context) error {
	sp := spec{table: "version", cols: []string{"id", "version", "updated", "step"}, scan: "one row per upgrade step"}
	tab, cov, err := r.readTable(ctx, sp)
	r.part.Coverage["db.version"] = cov
	if err != nil {
		return fmt.Errorf("database %s: cannot read the version table, so cannot tell whether an upgrade is in progress: %w", r.where, err)
	}
	r.part.DB["version"] = tab
	var top collectors.Row
	var topID int64 = -1
	for _, row := range tab {
		if id, ok := row.Get("id").(int64); ok && id > topID {
			top, topID = row, id
		}
	}
	if topID < 0 {
		return fmt.Errorf("database %s: the version table is empty: not a CloudStack database, or one never set up", r.where)
	}
	if step := top.Text("step"); step != "Complete" {
		return fmt.Errorf("database %s: %w: version %s is at step %q, not Complete; nothing was read, run the audit after the upgrade finishes", r.where, ErrUpgradeInProgress, top.Text("version"), step)
	}
	return nil
}

// confRow is one configuration row; value and defaultValue are nil when
// NULL or withheld.
type confRow struct {
	name, category               string
	value, defaultValue, scope   any
	secret, isSet, equalsDefault bool
}

// readConfiguration reads configuration with secret values withheld inside
// the server.
func (r *reader) readConfiguration(ctx context.Context) ([]confRow, error) {
	have := r.cols["configuration"]
	if have == nil {
		return nil, fmt.Errorf("table %s.configuration does not exist", r.schema)
	}
	for _, c := range []string{"name", "category", "value"} {
		if _, ok := have[c]; !ok {
			return nil, fmt.Errorf("table %s.configuration has no column %s", r.schema, c)
		}
	}
	def := "NULL"
	if _, ok := have["default_value"]; ok {
		def = "t.default_value"
	}
	scope := "NULL"
	if _, ok := have["scope"]; ok {
		scope = "t.scope"
	}
	sec := secretSQL(settingNamePattern, true)
	q := "SELECT t.name, t.category, CASE WHEN " + sec + " THEN NULL ELSE t.value END, CASE WHEN " + sec + " THEN NULL ELSE " + def + " END, " +
		scope + ", " + sec + ", (t.value IS NOT NULL AND t.value <> ''), (t.value <=> " + def + " OR (COALESCE(t.value, '') = '' AND COALESCE(" + def + ", '') = '')) FROM configuration t"
	rows, err := r.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	defer rows.Close()
	var out []confRow
	for rows.Next() {
		var name, cat, val, dv, sc sql.RawBytes
		var secret, isSet, eq sql.NullBool
		if err := rows.Scan(&name, &cat, &val, &dv, &sc, &secret, &isSet, &eq); err != nil {
			return nil, fmt.Errorf("configuration: %w", err)
		}
		row := confRow{name: validUTF8(string(name)), category: string(cat), secret: secret.Bool, isSet: isSet.Bool, equalsDefault: eq.Bool}
		if !secret.Bool {
			row.value = rawStr(val)
			row.defaultValue = rawStr(dv)
		}
		if sc != nil {
			if n, err := strconv.ParseInt(string(sc), 10, 64); err == nil {
				row.scope = n
			} else {
				row.scope = string(sc)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return out, nil
}

func failAll(part *collectors.Part, why string) {
	all := append([]spec{{table: "version"}}, specs...)
	for _, sp := range all {
		cov := part.Coverage["db."+sp.table]
		if cov == nil {
			cov = &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{}}
			part.Coverage["db."+sp.table] = cov
		}
		if len(cov.Collected) == 0 {
			cov.Failed = map[string]string{sp.table: why}
		}
	}
	if part.Coverage["settings"] == nil || part.Settings == nil {
		part.Coverage["settings"] = &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{}, Failed: map[string]string{"configuration": why}}
	}
}

// describe names the database for errors: user@addr/schema, no password.
func describe(mc *mysql.Config) string {
	return fmt.Sprintf("%s@%s/%s", mc.User, mc.Addr, mc.DBName)
}
