// Package local collects management-server facts from files under
// local.root (so the collector runs against a copy or a test tree): modes of
// the secret files, db.properties' encryption setup (never its values), the
// Java heap, free space under /var/log/cloudstack, the local listeners and
// whether logs are forwarded to a remote syslog.
package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/dbprops"
)

// Coverage facts of this collector.
const (
	FactFiles            = "local.files"
	FactDBProperties     = "local.db_properties"
	FactJavaHeap         = "local.java_heap"
	FactLogDisk          = "local.log_disk"
	FactListeners        = "local.listeners"
	FactServerProperties = "local.server_properties"
)

// Resource is the coverage id of the management server this runs on.
const Resource = "local"

const (
	mgmtDir    = "/etc/cloudstack/management"
	sshKey     = "/var/lib/cloudstack/management/.ssh/id_rsa"
	logDir     = "/var/log/cloudstack"
	maxFile    = 1 << 20
	maxProcNet = 16 << 20
)

// secretFiles are stat'ed; keystores are found by extension in mgmtDir.
var secretFiles = []string{mgmtDir + "/db.properties", mgmtDir + "/key", mgmtDir + "/server.properties", sshKey}

var keystoreExt = []string{".jks", ".p12", ".pfx", ".keystore", ".pem"}

// heapFiles may set the management server's JAVA_OPTS.
var heapFiles = []string{"/etc/default/cloudstack-management", "/etc/sysconfig/cloudstack-management"}

// serverPropertyKeys is the server.properties allowlist (no keystore passwords).
var serverPropertyKeys = []string{"bind.interface", "context.path", "http.enable", "http.port", "https.enable",
	"https.port", "session.timeout", "access.log", "https.keystore"}

// Collector is the "local" collector.
type Collector struct {
	root string
	now  func() time.Time
}

// New builds the local collector; local.root defaults to "/".
func New(cfg *collectors.Config) collectors.Collector {
	root := collectors.DefaultLocalRoot
	if cfg != nil {
		root = cfg.LocalRoot()
	}
	return &Collector{root: root, now: time.Now}
}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return collectors.NameLocal }

// Stage implements collectors.Collector.
func (c *Collector) Stage() int { return collectors.StageInventory }

func (c *Collector) path(p string) string { return filepath.Join(c.root, p) }

// Collect reads every fact; one that fails is recorded in coverage and the
// others go on.
func (c *Collector) Collect(ctx context.Context, _ *collectors.Inventory) (*collectors.Part, error) {
	if st, err := os.Stat(c.root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("local.root %s is not a directory", c.root)
	}
	meta := collectors.FactMeta{CollectedAt: c.now().UTC()}
	lf := &collectors.LocalFacts{}
	if h, err := os.ReadFile(c.path("/etc/hostname")); err == nil {
		lf.Hostname = strings.TrimSpace(string(h[:min(len(h), 256)]))
	}
	part := &collectors.Part{Local: lf, Coverage: map[string]*collectors.Coverage{}}
	record := func(fact string, err error) {
		cv := &collectors.Coverage{Collector: collectors.NameLocal, Selected: true, Collected: []string{}}
		if err != nil {
			cv.Failed = map[string]string{Resource: err.Error()}
		} else {
			cv.Collected = []string{Resource}
		}
		part.Coverage[fact] = cv
	}

	files, err := c.files()
	if err == nil {
		lf.Files = &collectors.FilesFact{FactMeta: meta, Files: files}
	}
	record(FactFiles, err)

	var dbp *collectors.DBPropsFact
	b, err := readFile(c.path(mgmtDir + "/db.properties"))
	if err == nil {
		dbp = parseDBProperties(b)
		dbp.FactMeta = meta
		lf.DBProps = dbp
	}
	record(FactDBProperties, err)

	if b, err = readFile(c.path(mgmtDir + "/server.properties")); err == nil {
		lf.Properties = parseProperties(b, serverPropertyKeys)
	}
	record(FactServerProperties, err)

	heap, err := c.heap()
	if err == nil {
		lf.Heap = &collectors.HeapFact{FactMeta: meta, MaxMB: heap}
	}
	record(FactJavaHeap, err)

	disk, err := c.disk()
	if err == nil {
		disk.FactMeta = meta
		lf.Disk = disk
	}
	record(FactLogDisk, err)

	sl, err := c.syslog()
	if err == nil {
		sl.FactMeta = meta
		lf.Syslog = sl
	}
	record(FactSyslog, err)

	ls, err := c.listeners()
	if err == nil {
		lf.Listeners = &collectors.ListenersFact{FactMeta: meta, Listeners: ls}
	}
	record(FactListeners, err)
	return part, ctx.Err()
}

// files stats the secret files and keystores; owner and group names come
// from the passwd/group files under the root.
func (c *Collector) files() (map[string]collectors.FileStat, error) {
	users := idNames(c.path("/etc/passwd"))
	groups := idNames(c.path("/etc/group"))
	paths := slices.Clone(secretFiles)
	if ents, err := os.ReadDir(c.path(mgmtDir)); err == nil {
		for _, e := range ents {
			if slices.Contains(keystoreExt, strings.ToLower(filepath.Ext(e.Name()))) {
				paths = append(paths, mgmtDir+"/"+e.Name())
			}
		}
	}
	out := map[string]collectors.FileStat{}
	for _, p := range paths {
		st, err := os.Lstat(c.path(p))
		if errors.Is(err, os.ErrNotExist) {
			out[p] = collectors.FileStat{}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", p, errors.Unwrap(err))
		}
		perm := int(st.Mode().Perm())
		if st.Mode()&os.ModeSetuid != 0 {
			perm |= 0o4000
		}
		if st.Mode()&os.ModeSetgid != 0 {
			perm |= 0o2000
		}
		if st.Mode()&os.ModeSticky != 0 {
			perm |= 0o1000
		}
		fs := collectors.FileStat{Exists: true, Mode: fmt.Sprintf("%04o", perm), Perm: perm}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			fs.Owner = nameOr(users, sys.Uid)
			fs.Group = nameOr(groups, sys.Gid)
		}
		out[p] = fs
	}
	return out, nil
}

func nameOr(m map[uint32]string, id uint32) string {
	if n, ok := m[id]; ok {
		return n
	}
	return strconv.FormatUint(uint64(id), 10)
}

// idNames reads name:x:id lines of a passwd or group file.
func idNames(p string) map[uint32]string {
	out := map[uint32]string{}
	b, err := readFile(p)
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 3 {
			continue
		}
		if id, err := strconv.ParseUint(f[2], 10, 32); err == nil {
			if _, dup := out[uint32(id)]; !dup {
				out[uint32(id)] = f[0]
			}
		}
	}
	return out
}

// readFile is collectors.ReadFileCapped naming the file in its error.
func readFile(p string) ([]byte, error) {
	b, err := collectors.ReadFileCapped(p, maxFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(p), err)
	}
	return b, nil
}

// parseProperties reads a Java properties file (dbprops.Parse: comments,
// continuations, escapes) and keeps the allowlisted keys; nil keeps all.
func parseProperties(b []byte, allow []string) map[string]string {
	all, err := dbprops.Parse(bytes.NewReader(b))
	if err != nil || allow == nil {
		return all
	}
	out := map[string]string{}
	for k, v := range all {
		if slices.Contains(allow, k) {
			out[k] = v
		}
	}
	return out
}

var secretKey = regexp.MustCompile(`(?i)(password|passwd|secret|\.key$|encryption\.key)`)

// parseDBProperties keeps the encryption type and version and counts values:
// encrypted ones (ENC(...)) and secret-named keys that hold a plain value.
// No value is kept.
func parseDBProperties(b []byte) *collectors.DBPropsFact {
	all := parseProperties(b, nil)
	f := &collectors.DBPropsFact{EncryptionType: "none"}
	if v := all["db.cloud.encryption.type"]; v != "" {
		f.EncryptionType = v
	}
	f.EncryptorVersion = all["db.cloud.encryptor.version"]
	for k, v := range all {
		switch {
		case strings.HasPrefix(v, "ENC(") && strings.HasSuffix(v, ")"):
			f.EncryptedValues++
		case v != "" && secretKey.MatchString(k):
			f.PlainSecrets++
		}
	}
	return f
}

// mulMiB shifts a size up, or returns -1 when it would overflow.
func mulMiB(n int64, shift uint) int64 {
	if n > math.MaxInt64>>shift {
		return -1
	}
	return n << shift
}

var xmx = regexp.MustCompile(`-Xmx([0-9]+)([kKmMgGtT]?)\b`)

func (c *Collector) heap() (int, error) {
	for _, p := range heapFiles {
		b, err := readFile(c.path(p))
		if err != nil {
			continue
		}
		if mb, ok := parseHeap(b); ok {
			return mb, nil
		}
	}
	return 0, errors.New("no -Xmx in " + strings.Join(heapFiles, " or "))
}

// parseHeap finds the last -Xmx (the JVM honours the last one) in MiB.
func parseHeap(b []byte) (int, bool) {
	var last []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") {
			continue
		}
		for _, m := range xmx.FindAllStringSubmatch(l, -1) {
			last = m
		}
	}
	if last == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(last[1], 10, 64)
	if err != nil {
		return 0, false
	}
	switch strings.ToLower(last[2]) {
	case "":
		n >>= 20
	case "k":
		n >>= 10
	case "g":
		n = mulMiB(n, 10)
	case "t":
		n = mulMiB(n, 20)
	}
	if n < 0 {
		return 0, false // beyond any JVM: not a heap size
	}
	return int(n), true
}

func (c *Collector) disk() (*collectors.DiskFact, error) {
	p := c.path(logDir)
	var st syscall.Statfs_t
	if err := syscall.Statfs(p, &st); err != nil {
		return nil, fmt.Errorf("statfs %s: %w", logDir, err)
	}
	size := int64(st.Blocks) * st.Bsize
	free := int64(st.Bavail) * st.Bsize
	d := &collectors.DiskFact{Path: logDir, FreeBytes: free, SizeBytes: size}
	if size > 0 {
		d.FreePct = float64(free) * 100 / float64(size)
	}
	return d, nil
}

// listeners reads /proc/net/tcp and tcp6 under the root.
func (c *Collector) listeners() ([]collectors.Listener, error) {
	var out []collectors.Listener
	found := false
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(c.path(f))
		if err != nil {
			continue
		}
		if len(b) > maxProcNet {
			return nil, errors.New(f + " is too large")
		}
		ls, err := parseProcNetTCP(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		found = true
		out = append(out, ls...)
	}
	if !found {
		return nil, errors.New("no /proc/net/tcp under local.root")
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Port < out[j].Port || out[i].Port == out[j].Port && out[i].Address < out[j].Address
	})
	return out, nil
}

// parseProcNetTCP keeps the LISTEN (0A) sockets of /proc/net/tcp{,6}.
func parseProcNetTCP(b []byte) ([]collectors.Listener, error) {
	var out []collectors.Listener
	for n, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if n == 0 || len(f) < 4 {
			continue
		}
		if f[3] != "0A" {
			continue
		}
		hexAddr, hexPort, ok := strings.Cut(f[1], ":")
		port, err := strconv.ParseUint(hexPort, 16, 16)
		raw, err2 := hex.DecodeString(hexAddr)
		if !ok || err != nil || err2 != nil || (len(raw) != 4 && len(raw) != 16) {
			return nil, fmt.Errorf("line %d: unreadable local address", n+1)
		}
		// The kernel prints each 32-bit word in host (little-endian) order.
		for i := 0; i < len(raw); i += 4 {
			raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
		}
		out = append(out, collectors.Listener{Address: net.IP(raw).String(), Port: int(port)})
	}
	return out, nil
}
