package pipeline

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"

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
	b, err := collectors.ReadFileCapped(path, collectors.MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	fields, err := yamlFields(b)
	if err != nil {
		return nil, readableYAML(fmt.Errorf("config %s: %w", path, err), nil)
	}
	cfg, err := collectors.ParseConfig(b)
	if err != nil {
		return nil, readableYAML(fmt.Errorf("config %s: %w", path, err), fields)
	}
	cfg.Path = path
	if log != nil {
		warnSecretConfig(cfg, log)
	}
	return cfg, nil
}

// warnSecretConfig warns when a config that holds a secret, in any field
// and form (a password in either dsn, the IPMI password, the API key), is
// readable by group or others. Redacted is the one list of secret fields.
func warnSecretConfig(cfg *collectors.Config, log *slog.Logger) {
	if reflect.DeepEqual(cfg, cfg.Redacted()) {
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
	b, err := collectors.ReadFileCapped(path, report.MaxWaiverBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("waivers %s: %w", path, err)
	}
	fields, err := yamlFields(b)
	if err != nil {
		return nil, nil, readableYAML(fmt.Errorf("waivers %s: %w", path, err), nil)
	}
	ws, err := report.ParseWaivers(b)
	if err != nil {
		return nil, nil, readableYAML(fmt.Errorf("waivers %s: %w", path, err), fields)
	}
	return ws, b, nil
}
