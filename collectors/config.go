package collectors

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is csaudit's YAML configuration (DESIGN.md "Config file"). A section
// that is present enables its collector.
type Config struct {
	// Name labels the audited cloud in reports ("prod-eu"); without it the
	// report names the cloud by its zones.
	Name      string              `yaml:"name"`
	Database  *DatabaseConfig     `yaml:"database"`
	API       *APIConfig          `yaml:"api"`
	SSH       *SSHConfig          `yaml:"ssh"`
	Libvirt   *LibvirtConfig      `yaml:"libvirt"`
	IPMI      *IPMIConfig         `yaml:"ipmi"`
	Local     *LocalConfig        `yaml:"local"`
	Inventory []Target            `yaml:"inventory"`
	Policies  PoliciesConfig      `yaml:"policies"`
	Waivers   string              `yaml:"waivers"`
	Timeouts  map[string]Duration `yaml:"timeouts"`
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
	TLS          string `yaml:"tls"`
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
	return &cfg, nil
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
		if !validName(name) {
			return fmt.Errorf("timeouts: unknown collector %q", name)
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

// CollectorTimeouts converts the configured timeouts.
func (c *Config) CollectorTimeouts() map[string]time.Duration {
	out := map[string]time.Duration{}
	for k, v := range c.Timeouts {
		out[k] = time.Duration(v)
	}
	return out
}
