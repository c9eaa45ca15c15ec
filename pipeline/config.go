package pipeline

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/report"
)

// LoadConfig reads a config file with its defaults applied, or returns an
// empty config (defaults applied too) when path is "". YAML errors are
// rewritten for people and never quote a value.
func LoadConfig(path string, log *slog.Logger) (*collectors.Config, error) {
	if path == "" {
		cfg := &collectors.Config{}
		cfg.ApplyDefaults()
		return cfg, nil
	}
	cfg, err := collectors.LoadConfig(path)
	if err != nil {
		return nil, readableYAML(err)
	}
	if log != nil {
		warnSecretConfig(cfg, log)
	}
	return cfg, nil
}

// warnSecretConfig warns when a config that holds a secret is readable by group
// or others.
func warnSecretConfig(cfg *collectors.Config, log *slog.Logger) {
	holds := cfg.IPMI != nil && cfg.IPMI.Password != "" ||
		cfg.Database != nil && strings.Contains(strings.SplitN(cfg.Database.DSN, "@", 2)[0], ":")
	if !holds {
		return
	}
	if st, err := os.Stat(cfg.Path); err == nil && st.Mode().Perm()&0o077 != 0 {
		log.Warn("config file holds a secret and is readable by group or others; chmod 0600 it", "file", cfg.Path, "mode", fmt.Sprintf("%04o", st.Mode().Perm()))
	}
}

// Resolve makes a path from the config relative to the config's directory.
func Resolve(cfg *collectors.Config, p string) string {
	if p == "" || filepath.IsAbs(p) || cfg.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(cfg.Path), p)
}

// LoadWaivers reads the waiver file: file when given, else the config's.
func LoadWaivers(cfg *collectors.Config, file string) ([]report.Waiver, error) {
	ws, _, err := LoadWaiverFile(cfg, file)
	return ws, err
}

// LoadWaiverFile is LoadWaivers that also returns the file's bytes (nil when
// there is no waiver file), for a signed run to record and copy.
func LoadWaiverFile(cfg *collectors.Config, file string) ([]report.Waiver, []byte, error) {
	path := file
	if path == "" {
		path = Resolve(cfg, cfg.Waivers)
	}
	if path == "" {
		return nil, nil, nil
	}
	ws, raw, err := report.LoadWaiverBytes(path)
	if err != nil {
		return nil, nil, readableYAML(err)
	}
	return ws, raw, nil
}
