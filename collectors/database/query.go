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
	names   []string // output keys, in select order
	kinds   []kind
	dropped []string
}

type kind uint8

const (
	kString kind = iota
	kInt
	kFloat
	kBool
	kTime
	kEnum // a string with few distinct values: interned
)

// enumCols are low-cardinality string columns whose values are shared
// between rows, which keeps 100,000-VM snapshots small.
var enumCols = map[string]bool{"state": true, "type": true, "status": true, "power_state": true, "hypervisor_type": true, "resource_state": true,
	"step": true, "vm_type": true, "volume_type": true, "pool_type": true, "format": true, "scope": true, "redundant_state": true, "role": true,
	"update_state": true, "download_state": true, "allocation_state": true, "managed_state": true, "arch": true, "reason": true, "driver": true,
	"ha_state": true, "resource_type": true, "job_dispatcher": true, "job_cmd": true, "instance_type": true, "version": true, "capacity_state": true,
	"traffic_type": true, "guest_type": true, "broadcast_domain_type": true, "hypervisor": true, "name": false, "hypervisor_version": true,
	"cluster_type": true, "provisioning_type": true, "user_vm_type": true, "store_role": true, "check_result": true, "check_type": true}

// buildPlan resolves sp against the columns this version has. Missing
// allowlisted columns are dropped (noted); a missing table or id is an error.
func buildPlan(sp spec, cols map[string]map[string]colInfo, schema string) (*plan, error) {
	p := &plan{table: sp.table}
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
			k = kBool
		} else if k == kString && enumCols[c] {
			k = kEnum
		}
		if details && c == "value" {
			// The server withholds secret values: they never cross the wire.
			pred := secretSQL(detailNamePattern, false)
			sel = append(sel, "CASE WHEN "+pred+" THEN NULL ELSE t.`value` END", pred, "(t.`value` IS NOT NULL AND t.`value` <> '')")
			p.names = append(p.names, "value", "secret", "is_set")
			p.kinds = append(p.kinds, kString, kBool, kBool)
			continue
		}
		sel = append(sel, "t.`"+c+"`")
		p.names = append(p.names, c)
		p.kinds = append(p.kinds, k)
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

func kindOf(dataType string) kind {
	switch dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year":
		return kInt
	case "decimal", "float", "double", "numeric":
		return kFloat
	case "datetime", "timestamp", "date":
		return kTime
	case "bit":
		return kBool
	}
	return kString
}

// readTable streams one table: one query, rows converted as they arrive.
func (r *reader) readTable(ctx context.Context, sp spec) (collectors.Table, *collectors.Coverage, error) {
	cov := &collectors.Coverage{Collector: collectors.NameDatabase, Selected: true, Collected: []string{}}
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
	raw := make([]sql.RawBytes, len(p.names))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	tab := collectors.Table{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, cov, fmt.Errorf("%s: %w", p.table, err)
		}
		row := make(collectors.Row, len(raw))
		for i, b := range raw {
			row[p.names[i]] = r.convert(b, p.kinds[i])
		}
		if row["secret"] == true {
			row["value"] = nil // belt and braces: the query already withheld it
		}
		tab[string(raw[0])] = row // id is always the first column
	}
	if err := rows.Err(); err != nil {
		return nil, cov, fmt.Errorf("%s: %w", p.table, err)
	}
	cov.Collected = append(cov.Collected, sp.table)
	return tab, cov, nil
}

// convert turns text-protocol bytes into a JSON-friendly value, allocating
// as little as possible: a 100,000-VM cloud is millions of values.
func (r *reader) convert(b sql.RawBytes, k kind) any {
	if b == nil {
		return nil
	}
	switch k {
	case kInt:
		if n, ok := atoi(b); ok {
			return r.boxInt(n)
		}
		if n, err := strconv.ParseUint(string(b), 10, 64); err == nil {
			return n
		}
	case kFloat:
		if f, err := strconv.ParseFloat(string(b), 64); err == nil {
			return f
		}
	case kBool:
		if len(b) == 1 && b[0] <= 1 { // BIT(1)
			return b[0] == 1
		}
		if n, ok := atoi(b); ok {
			return n != 0
		}
	case kTime:
		return datetime(b)
	case kEnum:
		if v, ok := r.intern[string(b)]; ok { // no allocation for the lookup
			return v
		}
		s := validUTF8(string(b))
		r.intern[string(b)] = s
		return s
	}
	return validUTF8(string(b))
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

// boxInt shares the interface value of repeated integers (foreign keys,
// counters): boxing allocates for values above 255, and a 100,000-VM cloud
// repeats the same few thousand host, pool and offering ids.
func (r *reader) boxInt(n int64) any {
	if v, ok := r.ints[n]; ok {
		return v
	}
	var v any = n
	if len(r.ints) < 1<<17 {
		r.ints[n] = v
	}
	return v
}

// datetime turns "2006-01-02 15:04:05[.ffffff]" (UTC, the session time
// zone) into RFC 3339 with one allocation; zero dates become null.
func datetime(b []byte) any {
	if len(b) >= 10 && string(b[:10]) == "0000-00-00" {
		return nil
	}
	switch {
	case len(b) >= 19 && b[10] == ' ':
		var out [20]byte
		copy(out[:], b[:19])
		out[10], out[19] = 'T', 'Z'
		return string(out[:])
	case len(b) == 10:
		return string(b) + "T00:00:00Z"
	}
	return validUTF8(string(b))
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
