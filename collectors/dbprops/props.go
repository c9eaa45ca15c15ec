package dbprops

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// maxPropsBytes caps db.properties and the key file.
const maxPropsBytes = 1 << 20

// Parse reads the Java properties format: # and ! comments, key and value
// separated by =, : or white space, backslash line continuations and escapes
// (including \uXXXX). Malformed lines are skipped; errors never quote input,
// which may hold secrets.
func Parse(r io.Reader) (map[string]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPropsBytes+1))
	if err != nil {
		return nil, errors.New("unreadable (I/O error)")
	}
	if len(b) > maxPropsBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxPropsBytes)
	}
	return parseProperties(b), nil
}

// parseProperties reads the Java properties format: # and ! comments, key and
// value separated by =, : or white space, backslash line continuation and
// escapes. Malformed lines are skipped, never quoted.
func parseProperties(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), maxPropsBytes)
	var logical strings.Builder
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if logical.Len() == 0 && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if trailingBackslashes(line)%2 == 1 {
			logical.WriteString(line[:len(line)-1])
			continue
		}
		logical.WriteString(line)
		k, v := splitProperty(logical.String())
		logical.Reset()
		if k != "" {
			out[k] = v
		}
	}
	if logical.Len() > 0 {
		if k, v := splitProperty(logical.String()); k != "" {
			out[k] = v
		}
	}
	return out
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

func splitProperty(s string) (string, string) {
	var key strings.Builder
	i := 0
	for i < len(s) {
		ch := s[i]
		if ch == '\\' && i+1 < len(s) {
			key.WriteByte(s[i])
			key.WriteByte(s[i+1])
			i += 2
			continue
		}
		if ch == '=' || ch == ':' || ch == ' ' || ch == '\t' || ch == '\f' {
			break
		}
		key.WriteByte(ch)
		i++
	}
	rest := strings.TrimLeft(s[i:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return unescapeProperty(key.String()), unescapeProperty(rest)
}

func unescapeProperty(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// File is a parsed db.properties. Values that are ENC(...) are decrypted on
// demand with the management-server key named by db.cloud.encryption.type.
type File struct {
	Path   string
	Values map[string]string

	keyFile string
	getenv  func(string) string
	key     string
	haveKey bool
}

// Open reads db.properties. keyFile is the management-server key for
// encryption type file; "" means the file "key" beside db.properties, where
// packaged installs keep it.
func Open(path, keyFile string, getenv func(string) string) (*File, error) {
	f, err := collectors.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("db_properties %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	p, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("db_properties %s: %v", path, err)
	}
	if keyFile == "" {
		keyFile = filepath.Join(filepath.Dir(path), "key")
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	return &File{Path: path, Values: p, keyFile: keyFile, getenv: getenv}, nil
}

// Key returns the management-server key (file: the key file's first line;
// env: CLOUD_SECRET_KEY). "" for type none.
func (f *File) Key() (string, error) {
	if f.haveKey {
		return f.key, nil
	}
	switch t := strings.ToLower(strings.TrimSpace(f.Values["db.cloud.encryption.type"])); t {
	case "", "none":
		f.key = ""
	case "file":
		b, err := collectors.ReadFileCapped(f.keyFile, maxPropsBytes)
		if err != nil {
			return "", fmt.Errorf("key file %s: %w", f.keyFile, err)
		}
		f.key = strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r")
	case "env":
		f.key = f.getenv("CLOUD_SECRET_KEY")
		if f.key == "" {
			return "", errors.New("db.cloud.encryption.type is env but CLOUD_SECRET_KEY is not set")
		}
	case "web":
		return "", errors.New("db.cloud.encryption.type is web (key typed at start-up); use database.dsn with a password_file instead")
	default:
		// Not quoted: a value in db.properties may be a misplaced secret.
		return "", errors.New("db.cloud.encryption.type is not one of none, file, env, web")
	}
	f.haveKey = true
	return f.key, nil
}

// Value returns a property, decrypting ENC(...) with the management-server key.
func (f *File) Value(name string) (string, error) {
	v := f.Values[name]
	if !strings.HasPrefix(v, "ENC(") || !strings.HasSuffix(v, ")") {
		return v, nil
	}
	k, err := f.Key()
	if err != nil {
		return "", fmt.Errorf("db_properties %s: %s: %v", f.Path, name, err)
	}
	if k == "" {
		return "", fmt.Errorf("db_properties %s: %s is ENC(...) but db.cloud.encryption.type gives no key", f.Path, name)
	}
	pt, err := Decrypt(k, v[4:len(v)-1], "")
	if err != nil {
		return "", fmt.Errorf("db_properties %s: %s: ENC() value %v", f.Path, name, err)
	}
	return pt, nil
}

// DB is what zero-config needs from db.properties, decrypted.
type DB struct {
	Host, Port, Name, User string
	Password               string
	UseSSL                 bool
}

// Load reads the cloud database connection from db.properties.
func Load(path, keyFile string, getenv func(string) string) (*DB, error) {
	f, err := Open(path, keyFile, getenv)
	if err != nil {
		return nil, err
	}
	out := &DB{}
	for _, fl := range []struct {
		dst  *string
		name string
	}{{&out.Host, "db.cloud.host"}, {&out.Port, "db.cloud.port"}, {&out.Name, "db.cloud.name"}, {&out.User, "db.cloud.username"}, {&out.Password, "db.cloud.password"}} {
		if *fl.dst, err = f.Value(fl.name); err != nil {
			return nil, err
		}
	}
	if out.Host == "" || out.User == "" {
		return nil, fmt.Errorf("db_properties %s: db.cloud.host or db.cloud.username missing", path)
	}
	if out.Port == "" {
		out.Port = "3306"
	}
	if out.Name == "" {
		out.Name = "cloud"
	}
	out.UseSSL = strings.EqualFold(f.Values["db.cloud.useSSL"], "true")
	return out, nil
}
