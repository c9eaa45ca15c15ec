package database

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxPropsBytes caps db.properties and the key file.
const maxPropsBytes = 1 << 20

// parseProperties reads Java .properties text: key=value or key: value,
// comments with # or !, backslash line continuations. Errors never quote
// input, which may hold secrets.
func parseProperties(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(r, maxPropsBytes))
	sc.Buffer(make([]byte, 64*1024), maxPropsBytes)
	var cont strings.Builder
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if cont.Len() == 0 && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if strings.HasSuffix(line, `\`) && !strings.HasSuffix(line, `\\`) {
			cont.WriteString(strings.TrimSuffix(line, `\`))
			continue
		}
		cont.WriteString(line)
		full := cont.String()
		cont.Reset()
		i := strings.IndexAny(full, "=:")
		if i < 0 {
			continue
		}
		k := strings.TrimSpace(full[:i])
		v := strings.TrimSpace(full[i+1:])
		out[k] = unescapeProp(v)
	}
	if err := sc.Err(); err != nil {
		return nil, errors.New("unreadable (line too long or I/O error)")
	}
	return out, nil
}

func unescapeProp(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// dbProps is what zero-config needs from db.properties, decrypted.
type dbProps struct {
	Host, Port, Name, User string
	Password               string
	UseSSL                 bool
}

// loadDBProperties reads db.properties and, when values are ENC(...),
// decrypts them with the management-server key (encryption type file: the
// key file; env: CLOUD_SECRET_KEY).
func loadDBProperties(path, keyFile string, getenv func(string) string) (*dbProps, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("db_properties %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	p, err := parseProperties(f)
	if err != nil {
		return nil, fmt.Errorf("db_properties %s: %v", path, err)
	}
	var secret string
	haveSecret := false
	key := func() (string, error) {
		if haveSecret {
			return secret, nil
		}
		switch t := strings.ToLower(p["db.cloud.encryption.type"]); t {
		case "file":
			if keyFile == "" {
				keyFile = "/etc/cloudstack/management/key"
			}
			b, err := readCapped(keyFile)
			if err != nil {
				return "", fmt.Errorf("key file %s: %w", keyFile, err)
			}
			secret = strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r")
		case "env":
			secret = getenv("CLOUD_SECRET_KEY")
			if secret == "" {
				return "", errors.New("db.cloud.encryption.type is env but CLOUD_SECRET_KEY is not set")
			}
		case "web":
			return "", errors.New("db.cloud.encryption.type is web (key typed at start-up); use database.dsn with a password_file instead")
		default:
			return "", fmt.Errorf("value is ENC(...) but db.cloud.encryption.type is %q", t)
		}
		haveSecret = true
		return secret, nil
	}
	get := func(name string) (string, error) {
		v := p[name]
		if !strings.HasPrefix(v, "ENC(") || !strings.HasSuffix(v, ")") {
			return v, nil
		}
		k, err := key()
		if err != nil {
			return "", fmt.Errorf("db_properties %s: %s: %v", path, name, err)
		}
		pt, err := decryptValue(k, v[4:len(v)-1], "")
		if err != nil {
			return "", fmt.Errorf("db_properties %s: %s: ENC() value %v", path, name, err)
		}
		return pt, nil
	}
	out := &dbProps{}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&out.Host, "db.cloud.host"}, {&out.Port, "db.cloud.port"}, {&out.Name, "db.cloud.name"}, {&out.User, "db.cloud.username"}, {&out.Password, "db.cloud.password"}} {
		if *f.dst, err = get(f.name); err != nil {
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
	out.UseSSL = strings.EqualFold(p["db.cloud.useSSL"], "true")
	return out, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Unwrap(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPropsBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPropsBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxPropsBytes)
	}
	return b, nil
}
