package ipmi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
)

// use_cloudstack_credentials: CloudStack's stored oobm.username/password,
// decrypted with the database key, held in memory for this run only. The
// database collector never reads secrets, so this is a separate, narrow read:
// db.properties for the key and the connection, then one SELECT of oobm in a
// read-only transaction. Nothing here is recorded except where credentials came
// from; errors never quote a value read from db.properties or the database.

// maxPropsBytes caps db.properties and the key file.
const maxPropsBytes = 1 << 20

// dbQueryTimeout bounds the whole credential read.
const dbQueryTimeout = 15 * time.Second

func (c *Collector) loadCloudStackCredentials(ctx context.Context) (map[string]credential, error) {
	if c.db == nil || c.db.DBProperties == "" {
		return nil, errors.New("needs database.db_properties: the database key that encrypts oobm.password is configured there")
	}
	propsPath := c.resolve(c.db.DBProperties)
	props, err := readProperties(propsPath)
	if err != nil {
		return nil, err
	}
	keyFile := c.db.KeyFile
	if keyFile == "" {
		keyFile = filepath.Join(filepath.Dir(propsPath), "key")
	}
	mgmtKey, err := managementKey(props["db.cloud.encryption.type"], c.resolve(keyFile), os.Getenv)
	if err != nil {
		return nil, err
	}
	value := func(name string) (string, error) {
		v := props[name]
		if !strings.HasPrefix(v, "ENC(") || !strings.HasSuffix(v, ")") {
			return v, nil
		}
		if mgmtKey == "" {
			return "", fmt.Errorf("db.properties %s is ENC(...) but db.cloud.encryption.type gives no key", name)
		}
		pt, err := decrypt(mgmtKey, v[4:len(v)-1], "")
		if err != nil {
			return "", fmt.Errorf("db.properties %s: %w", name, err)
		}
		return pt, nil
	}
	dbKey, err := value("db.cloud.encrypt.secret")
	if err != nil {
		return nil, err
	}
	mc, err := c.connConfig(props, value)
	if err != nil {
		return nil, err
	}
	rows, err := readOOBMCredentials(ctx, mc)
	if err != nil {
		return nil, err
	}
	version := props["db.cloud.encryptor.version"]
	out := map[string]credential{}
	var bad []string
	for _, r := range rows {
		pw := r.password
		if dbKey != "" && pw != "" {
			pw, err = decrypt(dbKey, r.password, version)
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

// managementKey returns the key that decrypts ENC(...) values in db.properties,
// per db.cloud.encryption.type; "" for none.
func managementKey(encType, keyFile string, getenv func(string) string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(encType)) {
	case "", "none":
		return "", nil
	case "file":
		b, err := readCapped(keyFile)
		if err != nil {
			return "", fmt.Errorf("management server key: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	case "env":
		k := getenv("CLOUD_SECRET_KEY")
		if k == "" {
			return "", errors.New("db.cloud.encryption.type is env but CLOUD_SECRET_KEY is not set")
		}
		return k, nil
	case "web":
		return "", errors.New("db.cloud.encryption.type web (key typed into port 8097) is not supported: use the key file or CLOUD_SECRET_KEY")
	default:
		return "", fmt.Errorf("db.cloud.encryption.type %q is not one of none, file, env, web", encType)
	}
}

// connConfig builds the connection: database.dsn when configured (password from
// the DSN, database.password_file or CSAUDIT_DB_PASSWORD), else db.properties.
func (c *Collector) connConfig(props map[string]string, value func(string) (string, error)) (*mysql.Config, error) {
	var mc *mysql.Config
	if c.db.DSN != "" {
		var err error
		mc, err = mysql.ParseDSN(c.db.DSN)
		if err != nil {
			return nil, errors.New("database.dsn is not a valid DSN")
		}
		if mc.Passwd == "" {
			if c.db.PasswordFile != "" {
				b, err := readCapped(c.resolve(c.db.PasswordFile))
				if err != nil {
					return nil, fmt.Errorf("database.password_file: %w", err)
				}
				line, _, _ := strings.Cut(string(b), "\n")
				mc.Passwd = strings.TrimRight(line, "\r")
			} else {
				mc.Passwd = os.Getenv("CSAUDIT_DB_PASSWORD")
			}
		}
	} else {
		pw, err := value("db.cloud.password")
		if err != nil {
			return nil, err
		}
		mc = mysql.NewConfig()
		host := props["db.cloud.host"]
		if host == "" {
			host = "localhost"
		}
		port := props["db.cloud.port"]
		if port == "" {
			port = "3306"
		}
		if _, err := strconv.Atoi(port); err != nil {
			return nil, errors.New("db.properties db.cloud.port is not a number")
		}
		mc.Net, mc.Addr = "tcp", host+":"+port
		mc.User, mc.Passwd = props["db.cloud.username"], pw
		mc.DBName = props["db.cloud.name"]
		if mc.DBName == "" {
			mc.DBName = "cloud"
		}
	}
	mc.Timeout, mc.ReadTimeout, mc.WriteTimeout = 10*time.Second, 15*time.Second, 15*time.Second
	return mc, nil
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
		return nil, fmt.Errorf("database %s@%s: %s", mc.User, mc.Addr, scrub(oneLine(err.Error()), mc.Passwd))
	}
	defer conn.Close()
	_, _ = conn.ExecContext(ctx, "SET SESSION lock_wait_timeout = 10")
	_, _ = conn.ExecContext(ctx, "SET SESSION max_statement_time = 10") // MariaDB; MySQL ignores the failure
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, fmt.Errorf("database: read-only transaction: %s", scrub(oneLine(err.Error()), mc.Passwd))
	}
	defer tx.Rollback() //nolint:errcheck // read-only; Commit below ends it
	rows, err := tx.QueryContext(ctx, "SELECT host_id, username, password FROM oobm WHERE host_id IS NOT NULL")
	if err != nil {
		return nil, fmt.Errorf("database: reading oobm credentials: %s", scrub(oneLine(err.Error()), mc.Passwd))
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
		return nil, fmt.Errorf("database: reading oobm credentials: %s", scrub(oneLine(err.Error()), mc.Passwd))
	}
	if err := tx.Commit(); err != nil {
		return nil, errors.New("database: ending the read-only transaction failed")
	}
	return out, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPropsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read failed", path)
	}
	if len(b) > maxPropsBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxPropsBytes)
	}
	return b, nil
}

func readProperties(path string) (map[string]string, error) {
	b, err := readCapped(path)
	if err != nil {
		return nil, fmt.Errorf("db.properties: %w", err)
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

// decrypt opens a CloudStackEncryptor value (tables.md "Secrets"): V2 is
// AES-256-GCM with key SHA-256(secret) and the IV in front; V1 is jasypt
// PBEWithMD5AndDES. An empty version tries V2 (the tag makes it unambiguous),
// then V1.
func decrypt(secret, b64, version string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", errors.New("ciphertext is not base64")
	}
	switch strings.ToUpper(strings.TrimSpace(version)) {
	case "V2":
		return decryptV2(secret, raw)
	case "V1":
		return decryptV1(secret, raw)
	case "":
		if pt, err := decryptV2(secret, raw); err == nil {
			return pt, nil
		}
		return decryptV1(secret, raw)
	default:
		return "", fmt.Errorf("unknown encryptor version %q", version)
	}
}

var errDecrypt = errors.New("wrong key or corrupt ciphertext")

func decryptV2(secret string, raw []byte) (string, error) {
	key := sha256.Sum256([]byte(secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	if len(raw) < gcm.NonceSize()+gcm.Overhead() {
		return "", errDecrypt
	}
	pt, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil || !utf8.Valid(pt) {
		return "", errDecrypt
	}
	return string(pt), nil
}

// decryptV1 is PKCS#5 v1.5 PBKDF1-MD5 (1000 iterations, 8-byte salt in front)
// with DES-CBC, as jasypt 1.9.3's StandardPBEStringEncryptor writes it.
func decryptV1(secret string, raw []byte) (string, error) {
	if len(raw) < 16 || (len(raw)-8)%des.BlockSize != 0 {
		return "", errDecrypt
	}
	salt, ct := raw[:8], raw[8:]
	pw := make([]byte, 0, len(secret))
	for _, r := range secret {
		pw = append(pw, byte(r)) // jasypt takes the low byte of each char
	}
	d := md5.Sum(append(pw, salt...))
	for range 999 {
		d = md5.Sum(d[:])
	}
	block, err := des.NewCipher(d[:8])
	if err != nil {
		return "", err
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, d[8:16]).CryptBlocks(pt, ct)
	n := int(pt[len(pt)-1])
	if n < 1 || n > des.BlockSize {
		return "", errDecrypt
	}
	for _, p := range pt[len(pt)-n:] {
		if int(p) != n {
			return "", errDecrypt
		}
	}
	pt = pt[:len(pt)-n]
	if !utf8.Valid(pt) {
		return "", errDecrypt
	}
	return string(pt), nil
}
