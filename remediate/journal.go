package remediate

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
)

// DefaultJournalDir is where the journal lives without --journal.
const DefaultJournalDir = "csaudit-journal"

// Journal file names inside the journal directory.
const (
	JournalFile = "journal.jsonl"
	AuditFile   = "audit.log"
)

// maxJournalBytes caps the journal read by undo.
const maxJournalBytes = 64 << 20

// Entry is one journal line: an apply or an undo, written and fsynced
// before its transaction commits.
type Entry struct {
	ID         string          `json:"id"`
	Op         string          `json:"op"` // apply or undo
	Time       time.Time       `json:"time"`
	FixID      string          `json:"fix_id"`
	Type       string          `json:"type"`
	Resource   report.Resource `json:"resource"`
	DBIdentity string          `json:"db_identity"`
	Statement  string          `json:"statement"`
	// Before is the row before this operation, After the row it leaves
	// (read back inside the transaction).
	Before Image `json:"before"`
	After  Image `json:"after"`
	// Undoes is the apply entry an undo reverses.
	Undoes  string `json:"undoes,omitempty"`
	User    string `json:"user,omitempty"`
	Version string `json:"version,omitempty"`
}

// AuditLine is one line of the audit log beside the journal: every apply and
// undo attempt that could change the database, and how it ended.
type AuditLine struct {
	Time      time.Time       `json:"time"`
	Op        string          `json:"op"`
	FixID     string          `json:"fix_id,omitempty"`
	JournalID string          `json:"journal_id,omitempty"`
	Resource  report.Resource `json:"resource"`
	Result    string          `json:"result"` // applied, undone, refused, nothing-to-do, error
	Reason    string          `json:"reason,omitempty"`
	User      string          `json:"user,omitempty"`
}

// Journal is the directory holding the journal and the audit log.
type Journal struct {
	Dir string
}

// newEntryID is time-ordered and unique: UTC time plus 4 random bytes.
func newEntryID(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// ensureDir creates the journal directory 0700; an existing one open to
// group or others is refused, since the journal names the cloud's VMs.
func (j *Journal) ensureDir() error {
	st, err := os.Stat(j.Dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(j.Dir, 0o700); err != nil {
			return fmt.Errorf("journal %s: %w", j.Dir, err)
		}
		return os.Chmod(j.Dir, 0o700) // umask may have narrowed it; never widened
	}
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.Dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("journal %s: not a directory", j.Dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("journal %s: mode %04o lets group or others in; chmod 0700 it", j.Dir, st.Mode().Perm())
	}
	return nil
}

// appendLine appends one JSON line under an exclusive lock and fsyncs it
// (and the directory, when the file is new).
func (j *Journal) appendLine(name string, v any) error {
	if err := j.ensureDir(); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	path := filepath.Join(j.Dir, name)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("journal %s: lock: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal %s: fsync: %w", path, err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if d, err := os.Open(j.Dir); err == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	return nil
}

// Append writes an entry durably.
func (j *Journal) Append(e Entry) error { return j.appendLine(JournalFile, e) }

// Audit writes an audit log line; a failure is returned for the caller to
// report, never to undo a committed change.
func (j *Journal) Audit(l AuditLine) error { return j.appendLine(AuditFile, l) }

// Entries reads the journal. A bad line is an error naming file and line.
func (j *Journal) Entries() ([]Entry, error) {
	path := filepath.Join(j.Dir, JournalFile)
	b, err := collectors.ReadFileCapped(path, maxJournalBytes)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("journal %s: line %d: not a journal entry", path, line)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: line %d: %w", path, line+1, err)
	}
	return out, nil
}

func currentUser() string {
	if u := os.Getenv("SUDO_USER"); u != "" {
		return u
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}
