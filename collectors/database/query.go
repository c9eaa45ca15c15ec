package database

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/csaudit/csaudit/collectors"
)

// plan is a spec resolved against this database's columns.
type plan struct {
	table   string // the name actually read (alt for old versions)
	query   string
	cols    []collectors.Column // output columns, in select order
	secret  int                 // details tables: index of the secret flag, else -1
	dropped []string
}

// enumCols are low-cardinality string columns: each distinct value is
// stored once per table and rows hold a 2-byte code.
var enumCols = map[string]bool{"state": true, "type": true, "status": true, "power_state": true, "hypervisor_type": true, "resource_state": true,
	"step": true, "vm_type": true, "volume_type": true, "pool_type": true, "format": true, "scope": true, "redundant_state": true, "role": true,
	"update_state": true, "download_state": true, "allocation_state": true, "managed_state": true, "arch": true, "reason": true, "driver": true,
	"ha_state": true, "resource_type": true, "job_dispatcher": true, "job_cmd": true, "instance_type": true, "version": true, "capacity_state": true,
	"traffic_type": true, "guest_type": true, "broadcast_domain_type": true, "hypervisor": true, "name": false, "hypervisor_version": true,
	"cluster_type": true, "provisioning_type": true, "user_vm_type": true, "store_role": true, "check_result": true, "check_type": true}

// buildPlan resolves sp against the columns this version has. Missing
// allowlisted columns are dropped (noted); a missing table or id is an error.
func buildPlan(sp spec, cols map[string]map[string]colInfo, schema string) (*plan, error) {
	p := &plan{table: sp.table, secret: -1}
	have := cols[sp.table]
	if have == nil && sp.alt != "" && cols[sp.alt] != nil {
		p.table, have = sp.alt, cols[sp.alt]
	}
	if have == nil {
		return nil, fmt.Errorf("table %s.%s does not exist in this CloudStack version", schema, sp.table)
	}
	for _, n := range sp.needs {
		if cols[n] == nil {
			return nil, fmt.Errorf("table %s.%s is read through %s, which does not exist", schema, sp.table, n)
		}
	}
	if _, ok := have["id"]; !ok {
		return nil, fmt.Errorf("table %s.%s has no id column", schema, p.table)
	}
	var sel []string
	details := sp.fk != ""
	for _, c := range sp.cols {
		ci, ok := have[c]
		if !ok {
			if details && (c == "name" || c == "value" || c == sp.fk) {
				return nil, fmt.Errorf("table %s.%s has no column %s", schema, p.table, c)
			}
			p.dropped = append(p.dropped, c)
			continue
		}
		k := kindOf(ci.dataType)
		if slices.Contains(sp.bools, c) {
			k = collectors.KindBool
		} else if k == collectors.KindString && enumCols[c] {
			k = collectors.KindEnum
		}
		if details && c == "value" {
			// The server withholds secret values: they never cross the wire.
			pred := secretSQL(detailNamePattern, false)
			sel = append(sel, "CASE WHEN "+pred+" THEN NULL ELSE t.`value` END", pred, "(t.`value` IS NOT NULL AND t.`value` <> '')")
			p.secret = len(p.cols) + 1
			p.cols = append(p.cols, collectors.Column{Name: "value", Kind: collectors.KindString},
				collectors.Column{Name: "secret", Kind: collectors.KindBool}, collectors.Column{Name: "is_set", Kind: collectors.KindBool})
			continue
		}
		sel = append(sel, "t.`"+c+"`")
		p.cols = append(p.cols, collectors.Column{Name: c, Kind: k})
	}
	for _, f := range sp.flags {
		if _, ok := have[f.col]; !ok {
			p.dropped = append(p.dropped, f.name)
			continue
		}
		sel = append(sel, f.expr)
		p.cols = append(p.cols, collectors.Column{Name: f.name, Kind: collectors.KindBool})
	}
	if sp.query != "" {
		p.query = strings.ReplaceAll(sp.query, "{cols}", strings.Join(sel, ", "))
		return p, nil
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM `" + p.table + "` t"
	if sp.join != "" {
		q += " " + sp.join
	}
	if sp.where != "" {
		w := sp.where
		if _, ok := have["removed"]; !ok && strings.Contains(w, "t.removed") {
			// Tables without soft delete in this version: every row is live.
			w = strings.ReplaceAll(strings.ReplaceAll(w, recent, "TRUE"), "t.removed IS NULL", "TRUE")
		}
		q += " WHERE " + w
	}
	p.query = q
	return p, nil
}

func kindOf(dataType string) collectors.Kind {
	switch dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year":
		return collectors.KindInt
	case "decimal", "float", "double", "numeric":
		return collectors.KindFloat
	case "datetime", "timestamp", "date":
		return collectors.KindTime
	case "bit":
		return collectors.KindBool
	}
	return collectors.KindString
}

// readTable streams one table: one query, each row's cells converted into
// the table's columnar store as the row arrives.
func (r *reader) readTable(ctx context.Context, sp spec) (collectors.Table, *collectors.Coverage, error) {
	cov := &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{}}
	if sp.since != "" && r.cols[sp.table] == nil {
		cov.Notes = append(cov.Notes, fmt.Sprintf("table %s does not exist in this CloudStack version (added in %s): no rows", sp.table, sp.since))
		cov.Collected = append(cov.Collected, sp.table)
		return collectors.Table{}, cov, nil
	}
	p, err := buildPlan(sp, r.cols, r.schema)
	if err != nil {
		return nil, cov, err
	}
	if p.table != sp.table {
		cov.Notes = append(cov.Notes, fmt.Sprintf("read from %s, this version's name for %s", p.table, sp.table))
	}
	if sp.subset != "" {
		cov.Notes = append(cov.Notes, "rows read: "+sp.subset)
	}
	if sp.fk != "" {
		cov.Notes = append(cov.Notes, "values of Hidden/Secure settings and secret-like names are withheld by the server: such rows carry secret=true, is_set and value=null")
	}
	for _, c := range p.dropped {
		cov.Notes = append(cov.Notes, fmt.Sprintf("column %s.%s does not exist in this version: not collected", p.table, c))
	}
	rows, err := r.conn.QueryContext(ctx, p.query)
	if err != nil {
		return nil, cov, fmt.Errorf("%s: %w", p.table, err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(p.cols))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	store := collectors.NewRows(p.cols...)
	tab := collectors.Table{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, cov, fmt.Errorf("%s: %w", p.table, err)
		}
		row := store.Add()
		for i, b := range raw {
			if i == p.secret-1 && truthy(raw[p.secret]) {
				row.SetNull(i) // belt and braces: the query already withheld it
				continue
			}
			put(row, i, b, p.cols[i].Kind)
		}
		tab[string(raw[0])] = row // id is always the first column
	}
	if err := rows.Err(); err != nil {
		return nil, cov, fmt.Errorf("%s: %w", p.table, err)
	}
	cov.Collected = append(cov.Collected, sp.table)
	return tab, cov, nil
}

// put converts one text-protocol cell into the row, allocating nothing for
// numbers, flags, datetimes and known enum values: a 100,000-VM cloud is
// millions of cells. A cell its column's kind cannot hold is kept as text.
func put(row collectors.Row, i int, b sql.RawBytes, k collectors.Kind) {
	if b == nil {
		row.SetNull(i)
		return
	}
	switch k {
	case collectors.KindInt:
		if n, ok := atoi(b); ok {
			row.SetInt(i, n)
			return
		}
		if n, err := strconv.ParseUint(string(b), 10, 64); err == nil {
			row.Set(i, n)
			return
		}
	case collectors.KindFloat:
		if f, err := strconv.ParseFloat(string(b), 64); err == nil {
			row.SetFloat(i, f)
			return
		}
	case collectors.KindBool:
		if len(b) == 1 && b[0] <= 1 { // BIT(1)
			row.SetBool(i, b[0] == 1)
			return
		}
		if n, ok := atoi(b); ok {
			row.SetBool(i, n != 0)
			return
		}
	case collectors.KindTime:
		putTime(row, i, b)
		return
	}
	if !utf8.Valid(b) {
		// Names stored in another encoding: the snapshot stays valid JSON,
		// the replacement character marks where.
		b = []byte(strings.ToValidUTF8(string(b), "\uFFFD"))
	}
	row.SetBytes(i, b)
}

// truthy reads a boolean cell (the details tables' secret flag).
func truthy(b sql.RawBytes) bool {
	if len(b) == 1 && b[0] <= 1 {
		return b[0] == 1
	}
	n, ok := atoi(b)
	return ok && n != 0
}

// putTime stores "2006-01-02 15:04:05[.ffffff]" (UTC, the session time zone)
// or a bare date as YYYYMMDDhhmmss, read back as RFC 3339; zero dates become
// null. Fractions of a second are dropped. Anything else is kept as text.
func putTime(row collectors.Row, i int, b []byte) {
	if len(b) >= 10 && string(b[:10]) == "0000-00-00" {
		row.SetNull(i)
		return
	}
	var text []byte
	switch {
	case len(b) >= 19 && b[10] == ' ':
		text = b[:19]
	case len(b) == 10:
		text = b
	default:
		row.Set(i, validUTF8(string(b)))
		return
	}
	var v int64
	digits := 0
	for j, c := range text {
		switch j {
		case 4, 7:
			if c != '-' {
				digits = -100
			}
		case 10:
		case 13, 16:
			if c != ':' {
				digits = -100
			}
		default:
			if c < '0' || c > '9' {
				digits = -100
			}
			v = v*10 + int64(c-'0')
			digits++
		}
	}
	switch digits {
	case 14:
	case 8:
		v *= 1000000
	default:
		// Not digits where MySQL puts them: kept as the same text as before.
		var out []byte
		if len(text) == 10 {
			out = append(append(out, text...), "T00:00:00Z"...)
		} else {
			out = append(append(append(append(out, text[:10]...), 'T'), text[11:19]...), 'Z')
		}
		row.Set(i, string(out))
		return
	}
	row.SetTime(i, v)
}

// atoi parses a decimal int64 without allocating.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false // leave 19+ digits to strconv (overflow checks)
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// validUTF8 repairs names stored in another encoding so the snapshot stays
// valid JSON; the replacement character marks where.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func rawStr(b sql.RawBytes) any {
	if b == nil {
		return nil
	}
	return validUTF8(string(b))
}

func nullStr(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.String
}

func nullInt(n sql.NullInt64) any {
	if !n.Valid {
		return nil
	}
	return n.Int64
}
