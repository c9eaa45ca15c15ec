package collectors

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is csaudit's YAML configuration (DESIGN.md "Config file"). A section
// that is present enables its collector.
type Config struct {
	// Name labels the audited cloud in reports ("prod-eu"); without it the
	// report names the cloud by its zones.
	Name      string          `yaml:"name"`
	Database  *DatabaseConfig `yaml:"database"`
	API       *APIConfig      `yaml:"api"`
	SSH       *SSHConfig      `yaml:"ssh"`
	Libvirt   *LibvirtConfig  `yaml:"libvirt"`
	IPMI      *IPMIConfig     `yaml:"ipmi"`
	Local     *LocalConfig    `yaml:"local"`
	Inventory []Target        `yaml:"inventory"`
	// Zones (names or uuids) restrict a collection to those zones; --zone
	// adds to them.
	Zones    []string            `yaml:"zones"`
	Policies PoliciesConfig      `yaml:"policies"`
	Waivers  string              `yaml:"waivers"`
	Timeouts map[string]Duration `yaml:"timeouts"`
	// Advisories replaces the embedded advisory data (advisories.tsv format).
	Advisories string `yaml:"advisories"`

	// Path is the file the config was read from; relative paths inside it
	// (waivers, password files) are resolved against its directory.
	Path string `yaml:"-"`
}

// DatabaseConfig reaches CloudStack's database.
type DatabaseConfig struct {
	DSN          string `yaml:"dsn"`
	PasswordFile string `yaml:"password_file"`
	DBProperties string `yaml:"db_properties"`
	KeyFile      string `yaml:"key_file"`
	FixDSN       string `yaml:"fix_dsn"`
	// FixPasswordFile holds fix_dsn's password (or CSAUDIT_FIX_DB_PASSWORD).
	FixPasswordFile string `yaml:"fix_password_file"`
	TLS             string `yaml:"tls"`
}

// APIConfig reaches CloudStack's API for fixes that it can perform.
type APIConfig struct {
	Endpoint      string `yaml:"endpoint"`
	APIKey        string `yaml:"api_key"`
	SecretKeyFile string `yaml:"secret_key_file"`
}

// SSHConfig reaches the hypervisor hosts.
type SSHConfig struct {
	User              string            `yaml:"user"`
	IdentityFiles     []string          `yaml:"identity_files"`
	KnownHosts        string            `yaml:"known_hosts"`
	AcceptNewHostKeys bool              `yaml:"accept_new_host_keys"`
	JumpHost          string            `yaml:"jump_host"`
	Concurrency       int               `yaml:"concurrency"`
	ConnectTimeout    Duration          `yaml:"connect_timeout"`
	CommandTimeout    Duration          `yaml:"command_timeout"`
	Addresses         map[string]string `yaml:"addresses"`
	UseAgent          *bool             `yaml:"use_agent"`
}

// LibvirtConfig says where libvirt listens on each host.
type LibvirtConfig struct {
	Socket string `yaml:"socket"`
	URI    string `yaml:"uri"`
}

// IPMIConfig controls the out-of-band collector.
type IPMIConfig struct {
	Enabled                  bool              `yaml:"enabled"`
	Sessions                 bool              `yaml:"sessions"`
	UseCloudStackCredentials bool              `yaml:"use_cloudstack_credentials"`
	Username                 string            `yaml:"username"`
	PasswordFile             string            `yaml:"password_file"`
	Password                 string            `yaml:"password"`
	CipherSuite              *int              `yaml:"cipher_suite"` // nil: the default (3); 0 is refused
	Timeout                  Duration          `yaml:"timeout"`
	Concurrency              int               `yaml:"concurrency"`
	Addresses                map[string]string `yaml:"addresses"`
}

// LocalConfig reads management-server files under Root.
type LocalConfig struct {
	Root string `yaml:"root"`
}

// PoliciesConfig adds policy directories and overrides parameters.
type PoliciesConfig struct {
	Dirs   []string       `yaml:"dirs"`
	Params map[string]any `yaml:"params"`
}

// Duration is a time.Duration written as "10s" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		// The value is not quoted: a misplaced secret must not reach an error.
		return fmt.Errorf("line %d: want a duration like 10s or 2m", n.Line)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as Go writes it ("10s"), the form it is read in.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Secret is how an effective config shows a secret that is set.
const Secret = "<set>"

// Redacted is a copy of the config fit to print: every secret that is set
// (the password in a dsn, the IPMI password, the API key) reads Secret.
// Paths to secret files are kept: they are not secrets.
func (c *Config) Redacted() *Config {
	out := *c
	if c.Database != nil {
		d := *c.Database
		d.DSN, d.FixDSN = redactDSN(d.DSN), redactDSN(d.FixDSN)
		out.Database = &d
	}
	if c.IPMI != nil {
		i := *c.IPMI
		if i.Password != "" {
			i.Password = Secret
		}
		out.IPMI = &i
	}
	if c.API != nil {
		a := *c.API
		if a.APIKey != "" {
			a.APIKey = Secret
		}
		out.API = &a
	}
	return &out
}

// redactDSN replaces the password of a go-sql-driver DSN
// (user:password@proto(addr)/db), found as the driver finds it: the last '/',
// the last '@' before it, the first ':' before that. A password may hold '(',
// '@' or '/'. Without a '/' (the driver refuses such a DSN) the last '@' is
// taken, so a password is hidden rather than shown.
func redactDSN(dsn string) string {
	end := strings.LastIndexByte(dsn, '/')
	if end < 0 {
		end = len(dsn)
	}
	at := strings.LastIndexByte(dsn[:end], '@')
	if at < 0 {
		return dsn
	}
	if i := strings.IndexByte(dsn[:at], ':'); i >= 0 {
		return dsn[:i+1] + Secret + dsn[at:]
	}
	return dsn
}

// MaxConfigBytes caps a config file.
const MaxConfigBytes = 1 << 20

// LoadConfig reads and validates a config file. Errors name the file.
func LoadConfig(path string) (*Config, error) {
	b, err := ReadFileCapped(path, MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.Path = path
	return cfg, nil
}

// ParseConfig decodes YAML strictly: unknown keys are errors.
func ParseConfig(b []byte) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.ApplyDefaults()
	return &cfg, nil
}

// Defaults: the one place they are defined. ApplyDefaults puts them into a
// loaded config, so collectors read their settings as they are.
const (
	DefaultSSHUser           = "root"
	DefaultSSHKnownHosts     = "~/.ssh/known_hosts"
	DefaultSSHConcurrency    = 32
	DefaultSSHConnectTimeout = 10 * time.Second
	DefaultSSHCommandTimeout = 30 * time.Second
	DefaultLibvirtSocket     = "/var/run/libvirt/libvirt-sock-ro"
	DefaultLibvirtURI        = "qemu:///system"
	DefaultIPMITimeout       = 3 * time.Second
	DefaultIPMIConcurrency   = 32
	DefaultIPMICipherSuite   = 3
	DefaultLocalRoot         = "/"
	// DefaultCollectorTimeout bounds a collector that has no configured timeout.
	DefaultCollectorTimeout = 10 * time.Minute
	// DefaultEvaluationTimeout bounds the whole evaluation of the checks.
	DefaultEvaluationTimeout = 2 * time.Minute
)

// TimeoutEvaluation is the timeouts key that bounds the checks' evaluation.
const TimeoutEvaluation = "evaluation"

// ApplyDefaults fills every unset setting of the sections present (libvirt
// is present whenever ssh is: it rides on the same connections) and a timeout
// for every collector. It is idempotent. It never adds a section that would
// select a collector: that is Select's decision.
func (c *Config) ApplyDefaults() {
	if c.SSH != nil {
		c.SSH.applyDefaults()
		if c.Libvirt == nil {
			c.Libvirt = &LibvirtConfig{}
		}
	}
	if c.Libvirt != nil {
		c.Libvirt.applyDefaults()
	}
	if c.IPMI != nil {
		c.IPMI.applyDefaults()
	}
	if c.Timeouts == nil {
		c.Timeouts = map[string]Duration{}
	}
	for _, n := range Names {
		if c.Timeouts[n] <= 0 {
			c.Timeouts[n] = Duration(DefaultCollectorTimeout)
		}
	}
	if c.Timeouts[TimeoutEvaluation] <= 0 {
		c.Timeouts[TimeoutEvaluation] = Duration(DefaultEvaluationTimeout)
	}
}

// WithDefaults returns a copy of the section with every unset setting at its
// default (for configs built in code; LoadConfig applied them already).
func (s *SSHConfig) WithDefaults() SSHConfig {
	out := *s
	out.applyDefaults()
	return out
}

func (s *SSHConfig) applyDefaults() {
	if s.User == "" {
		s.User = DefaultSSHUser
	}
	if s.KnownHosts == "" {
		s.KnownHosts = DefaultSSHKnownHosts
	}
	if s.UseAgent == nil {
		useAgent := true // SSH_AUTH_SOCK, when set
		s.UseAgent = &useAgent
	}
	if s.Concurrency <= 0 {
		s.Concurrency = DefaultSSHConcurrency
	}
	if s.ConnectTimeout <= 0 {
		s.ConnectTimeout = Duration(DefaultSSHConnectTimeout)
	}
	if s.CommandTimeout <= 0 {
		s.CommandTimeout = Duration(DefaultSSHCommandTimeout)
	}
}

// WithDefaults returns a copy of the section (nil: an empty one) with every
// unset setting at its default.
func (l *LibvirtConfig) WithDefaults() LibvirtConfig {
	var out LibvirtConfig
	if l != nil {
		out = *l
	}
	out.applyDefaults()
	return out
}

func (l *LibvirtConfig) applyDefaults() {
	if l.Socket == "" {
		l.Socket = DefaultLibvirtSocket
	}
	if l.URI == "" {
		l.URI = DefaultLibvirtURI
	}
}

// WithDefaults returns a copy of the section (nil: an empty one) with every
// unset setting at its default.
func (i *IPMIConfig) WithDefaults() IPMIConfig {
	var out IPMIConfig
	if i != nil {
		out = *i
	}
	out.applyDefaults()
	return out
}

func (i *IPMIConfig) applyDefaults() {
	if i.Timeout == 0 {
		i.Timeout = Duration(DefaultIPMITimeout)
	}
	if i.Concurrency == 0 {
		i.Concurrency = DefaultIPMIConcurrency
	}
	if i.CipherSuite == nil {
		cs := DefaultIPMICipherSuite
		i.CipherSuite = &cs
	}
}

// LocalRoot is the management-server root the local collector reads under.
func (c *Config) LocalRoot() string {
	if c.Local != nil && c.Local.Root != "" {
		return c.Local.Root
	}
	return DefaultLocalRoot
}

func (c *Config) validate() error {
	if d := c.Database; d != nil && d.DSN == "" && d.DBProperties == "" {
		return errors.New("database: needs dsn or db_properties")
	}
	if s := c.SSH; s != nil && s.Concurrency < 0 {
		return errors.New("ssh.concurrency: must not be negative")
	}
	if i := c.IPMI; i != nil && i.Password != "" && i.PasswordFile != "" {
		return errors.New("ipmi: set password or password_file, not both")
	}
	if i := c.IPMI; i != nil && i.CipherSuite != nil && *i.CipherSuite == 0 {
		return errors.New("ipmi.cipher_suite: 0 is refused (no authentication: any password is accepted); leave it out for the default, 3")
	}
	for name := range c.Timeouts {
		if !validName(name) && name != TimeoutEvaluation {
			return fmt.Errorf("timeouts: unknown collector %q (or evaluation)", name)
		}
	}
	for i, t := range c.Inventory {
		if t.Name == "" && t.Address == "" {
			return fmt.Errorf("inventory[%d]: needs name or address", i)
		}
	}
	return nil
}

func validName(n string) bool {
	for _, k := range Names {
		if k == n {
			return true
		}
	}
	return false
}

// EnabledCollectors applies DESIGN.md's enable rules: a collector runs when its
// section is present (database with a dsn or db_properties; ssh → hosts and
// libvirt; ipmi with enabled: true; local with a root).
func (c *Config) EnabledCollectors() map[string]bool {
	sel := map[string]bool{}
	if c.Database != nil {
		sel[NameDatabase] = true
	}
	if c.SSH != nil {
		sel[NameHosts] = true
		sel[NameLibvirt] = true
	}
	if c.IPMI != nil && c.IPMI.Enabled {
		sel[NameIPMI] = true
	}
	if c.Local != nil && c.Local.Root != "" {
		sel[NameLocal] = true
	}
	return sel
}

// Select decides which collectors run: the names in list (a comma list, as
// given to --collectors) when it is not empty, else those whose config
// sections are present. A selected collector whose section it cannot run
// without is refused, so a run never records only a collector error and
// exits 0 with nothing collected. ipmi (passive probes) and local (root /)
// run with defaults.
func (c *Config) Select(list string) (map[string]bool, error) {
	sel := c.EnabledCollectors()
	if list != "" {
		var err error
		if sel, err = ParseSelection(list); err != nil {
			return nil, fmt.Errorf("--collectors: %w", err)
		}
	}
	if len(sel) == 0 {
		return nil, errors.New("nothing to collect: give --config with a database, ssh, ipmi or local section, --collectors, --snapshot or --lab")
	}
	missing := func(n, section string) error {
		if c.Path == "" {
			return fmt.Errorf("collector %s is selected but no --config with a %s: section was given", n, section)
		}
		return fmt.Errorf("collector %s is selected but %s has no %s: section", n, c.Path, section)
	}
	for _, n := range Names {
		switch {
		case !sel[n]:
		case n == NameDatabase && c.Database == nil:
			return nil, missing(n, "database")
		case (n == NameHosts || n == NameLibvirt) && c.SSH == nil:
			return nil, missing(n, "ssh")
		}
	}
	return sel, nil
}

// SelectedNames lists the selected collectors in run order.
func SelectedNames(sel map[string]bool) []string {
	var out []string
	for _, n := range Names {
		if sel[n] {
			out = append(out, n)
		}
	}
	return out
}

// CollectorTimeouts converts the configured timeouts.
func (c *Config) CollectorTimeouts() map[string]time.Duration {
	out := map[string]time.Duration{}
	for k, v := range c.Timeouts {
		out[k] = time.Duration(v)
	}
	return out
}
