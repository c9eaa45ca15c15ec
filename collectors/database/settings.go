package database

import (
	_ "embed"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/csaudit/csaudit/collectors"
)

// settings.tsv: CloudStack's setting declarations (Apache-2.0 data, see
// NOTICE), so a setting with no configuration row still has its default.
//
//go:embed settings.tsv
var settingsTSV string

type declared struct {
	def      *string
	typ      string // Java type: Boolean, Integer, String, ...
	scope    string
	category string
}

var declarations = parseDeclarations(settingsTSV)

func parseDeclarations(tsv string) map[string]declared {
	out := map[string]declared{}
	for _, line := range strings.Split(tsv, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			continue
		}
		d := declared{typ: f[2], scope: f[3], category: strings.SplitN(f[4], "/", 2)[0]}
		if f[1] != "NULL" {
			v := f[1]
			d.def = &v
		}
		out[f[0]] = d
	}
	return out
}

// secretCategory: CloudStack encrypts configuration values of these categories.
func secretCategory(c string) bool {
	c = strings.SplitN(c, "/", 2)[0]
	return c == "Hidden" || c == "Secure"
}

// settingNamePattern marks a configuration name as secret by its last part
// (cloudian.sso.key, quota.usage.smtp.password) even outside Hidden/Secure.
const settingNamePattern = `(^|[.])(password|passwd|secret|secretkey|key|privatekey|token|psk|passphrase|credentials?|auth)$`

// detailNamePattern is looser: *_details rows are free-form.
const detailNamePattern = `(pass|secret|token|psk|passphrase|credential|private|apikey|api[._]key|auth)|(^|[._])key$`

var (
	settingNameRE = regexp.MustCompile(`(?i)` + settingNamePattern)
	detailNameRE  = regexp.MustCompile(`(?i)` + detailNamePattern)
	safeNameRE    = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// scalar reports a setting declared with a type that cannot hold a secret
// (system.vm.random.password is a Boolean, not a password).
func scalar(name string) bool {
	switch declarations[name].typ {
	case "Boolean", "Integer", "Long", "Float", "Double", "Short":
		return true
	}
	return false
}

// secretName: a secret-looking name that is not a declared scalar.
func secretName(name string) bool { return settingNameRE.MatchString(name) && !scalar(name) }

// scalarSecretLooking lists declared scalars whose names look secret, so the
// query can exempt them. Computed once: matching every declaration's name
// costs tens of milliseconds, and each details table's query needs the list.
var scalarSecretLooking = sync.OnceValue(func() []string {
	var out []string
	for n := range declarations {
		if scalar(n) && (settingNameRE.MatchString(n) || detailNameRE.MatchString(n)) && safeNameRE.MatchString(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
})

// secretDeclared lists setting names declared Hidden/Secure, for queries.
var secretDeclared = sync.OnceValue(func() []string {
	var out []string
	for n, d := range declarations {
		if secretCategory(d.category) && safeNameRE.MatchString(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
})

// secretSQL is the constant predicate (on alias t) deciding, inside the
// server, that a row's value must not be sent: the value never leaves MariaDB.
func secretSQL(pattern string, withCategory bool) string {
	var b strings.Builder
	b.WriteString("(")
	if withCategory {
		b.WriteString("SUBSTRING_INDEX(t.category, '/', 1) IN ('Hidden','Secure') OR ")
	}
	b.WriteString("t.name IN (")
	for i, n := range secretDeclared() {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("'" + n + "'")
	}
	b.WriteString(") OR (LOWER(t.name) REGEXP '" + pattern + "' AND t.name NOT IN (")
	for i, n := range scalarSecretLooking() {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("'" + n + "'")
	}
	b.WriteString(")))")
	return b.String()
}

// ratioKeys are the cluster_details names under which CloudStack stores the
// cluster overrides of the overprovisioning factors.
var ratioKeys = map[string]string{
	"cpuOvercommitRatio":    "cpu.overprovisioning.factor",
	"memoryOvercommitRatio": "mem.overprovisioning.factor",
}

var scopeBits = []struct {
	bit  int64
	name string
}{{1, "Global"}, {2, "Zone"}, {4, "Cluster"}, {8, "StoragePool"}, {16, "ManagementServer"}, {32, "ImageStore"}, {64, "Domain"}, {128, "Account"}}

// scopeName renders configuration.scope: a bitmask since 4.21, a name before.
func scopeName(v any) string {
	switch x := v.(type) {
	case int64:
		var parts []string
		for _, b := range scopeBits {
			if x&b.bit != 0 {
				parts = append(parts, b.name)
			}
		}
		return strings.Join(parts, ",")
	case string:
		return x
	}
	return ""
}

// foldSettings builds the effective settings: configuration rows, then
// declared settings without a row, then overrides from the details tables.
func foldSettings(conf []confRow, details map[string]collectors.Table) map[string]collectors.Setting {
	out := map[string]collectors.Setting{}
	for _, r := range conf {
		name := r.name
		if name == "" {
			continue
		}
		d, known := declarations[name]
		st := collectors.Setting{Category: r.category, Scope: scopeName(r.scope)}
		secret := r.secret || secretCategory(st.Category) || secretCategory(d.category) || secretName(name)
		st.IsSet = r.isSet
		st.EqualsDefault = r.equalsDefault
		if secret {
			st.Secret = true
		} else {
			st.Value = strPtr(r.value)
			st.Default = strPtr(r.defaultValue)
			if st.Default == nil && known {
				st.Default = d.def
			}
			st.EqualsDefault = eqPtr(st.Value, st.Default) || st.Value == nil
		}
		if st.Scope == "" && known {
			st.Scope = d.scope
		}
		out[name] = st
	}
	for name, d := range declarations {
		if _, ok := out[name]; ok {
			continue
		}
		st := collectors.Setting{Category: d.category, Scope: d.scope, EqualsDefault: true}
		if secretCategory(d.category) || secretName(name) {
			st.Secret = true
		} else {
			st.Default = d.def
		}
		out[name] = st
	}
	for _, sp := range specs {
		if sp.scope == "" {
			continue
		}
		for _, r := range details[sp.table] {
			name, _ := r.Get("name").(string)
			if sp.table == "cluster_details" && ratioKeys[name] != "" {
				name = ratioKeys[name]
			}
			st, ok := out[name]
			if !ok || st.Secret || r.Get("secret") == true || r.Get("value") == nil {
				continue // not a setting, or its value is not ours to read
			}
			if st.Overrides == nil {
				st.Overrides = map[string]map[string]string{}
			}
			if st.Overrides[sp.scope] == nil {
				st.Overrides[sp.scope] = map[string]string{}
			}
			st.Overrides[sp.scope][r.Text(sp.fk)] = r.Text("value")
			out[name] = st
		}
	}
	return out
}

func strPtr(v any) *string {
	if v == nil {
		return nil
	}
	s := collectors.Text(v)
	return &s
}

func eqPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
