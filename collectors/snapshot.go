// Package collectors defines the Snapshot that every collector contributes to, the
// collector contract and the runner that merges their parts.
//
// The Snapshot's JSON shape is the contract with the policies: field names follow
// CloudStack's column names, and changes are additive within csaudit.snapshot/v1.
package collectors

import (
	"fmt"
	"time"
)

// SchemaVersion identifies the snapshot envelope. Loading any other value fails.
const SchemaVersion = "csaudit.snapshot/v1"

// Snapshot is everything one audit run learned, as evidence an auditor can re-check.
type Snapshot struct {
	Schema          string                `json:"schema"`
	Meta            Meta                  `json:"meta"`
	DB              map[string]Table      `json:"db"`
	Settings        map[string]Setting    `json:"settings"`
	Hosts           map[string]*HostFacts `json:"hosts"`
	OOBM            map[string]*BMCFacts  `json:"oobm"`
	Local           *LocalFacts           `json:"local,omitempty"`
	Coverage        map[string]*Coverage  `json:"coverage"`
	CollectorErrors []CollectorError      `json:"collector_errors"`
}

// Table is one CloudStack table: row id (as a string) to row. Rows hold
// allowlisted columns under CloudStack's own column names; values are strings,
// numbers, booleans or null, datetimes RFC 3339 UTC strings (see Row). A
// table's rows share one columnar store (Rows).
type Table map[string]Row

// Text renders a snapshot value as text: "" for nil.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// Meta describes the run that produced the snapshot.
type Meta struct {
	Tool Tool `json:"tool"`
	// Name is the config's name for the audited cloud, if it has one.
	Name        string    `json:"name,omitempty"`
	CollectedAt time.Time `json:"collected_at"`
	// DBNow is UTC_TIMESTAMP() read inside the database transaction. Every age a
	// check computes is measured against it, never against the evaluation clock.
	DBNow      *time.Time              `json:"db_now,omitempty"`
	Database   *DBIdentity             `json:"database,omitempty"`
	Collectors map[string]CollectorRun `json:"collectors"`
	Lab        bool                    `json:"lab,omitempty"`
	// Zones are the uuids of the zones a --zone run was restricted to
	// (FilterZones); absent when the whole cloud was read.
	Zones []string `json:"zones,omitempty"`
}

// Tool names the program that wrote a document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DBIdentity identifies the database that was read.
type DBIdentity struct {
	Hostname  string   `json:"hostname"`
	Port      int      `json:"port"`
	Schema    string   `json:"schema"`
	Version   string   `json:"server_version,omitempty"`
	ReadOnly  bool     `json:"read_only"`
	Replica   bool     `json:"replica"`
	Grants    []string `json:"grants,omitempty"`
	CanWrite  bool     `json:"can_write"`
	Account   string   `json:"account,omitempty"`
	CSVersion string   `json:"cloudstack_version,omitempty"`
	// ClockOffsetMS is the database server's clock (UTC_TIMESTAMP(6)) minus
	// the auditor's, read between two auditor timestamps; host clock offsets
	// are referenced to it. ClockUncertaintyMS is half that query's round
	// trip. Both are 0 when the session clock was pinned (lab).
	ClockOffsetMS      *float64 `json:"clock_offset_ms,omitempty"`
	ClockUncertaintyMS *float64 `json:"clock_uncertainty_ms,omitempty"`
}

// CollectorRun records whether a collector was selected and how its run went.
type CollectorRun struct {
	Selected   bool    `json:"selected"`
	Stage      int     `json:"stage,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	OK         bool    `json:"ok"`
	Error      string  `json:"error,omitempty"`
}

// Setting is the effective value of one CloudStack setting. Secret settings carry
// no value, only whether they are set and whether they equal the default.
type Setting struct {
	Value         *string `json:"value" jsonschema:"nullable"`
	Default       *string `json:"default" jsonschema:"nullable"`
	Category      string  `json:"category,omitempty"`
	Scope         string  `json:"scope,omitempty"`
	IsSet         bool    `json:"is_set"`
	Secret        bool    `json:"secret,omitempty"`
	EqualsDefault bool    `json:"equals_default"`
	// Overrides maps a scope (zone, cluster, storage_pool, account, domain,
	// image_store) to the scope object's id and the value set there.
	Overrides map[string]map[string]string `json:"overrides,omitempty"`
}

// CollectorError is a failure of a collector or of one of its targets.
type CollectorError struct {
	Collector string `json:"collector"`
	Target    string `json:"target"`
	Error     string `json:"error"`
}

// Coverage says, for one fact, which resources were collected, which failed and
// why, and whether the collector that provides it was selected at all.
type Coverage struct {
	Collector string            `json:"collector"`
	Selected  bool              `json:"selected"`
	Collected []string          `json:"collected"`
	Failed    map[string]string `json:"failed,omitempty"`
	Notes     []string          `json:"notes,omitempty"`
}

// FactMeta is carried by every host, BMC and local fact.
type FactMeta struct {
	CollectedAt time.Time `json:"collected_at"`
	Error       string    `json:"error,omitempty"`
}

// HostFacts is what a hypervisor host told us over SSH and libvirt, keyed in the
// snapshot by host uuid. A fact that could not be read is nil and its failure
// is in Coverage; a fact is never guessed for a host that failed.
type HostFacts struct {
	HostID     string            `json:"host_id"`
	Name       string            `json:"name"`
	Address    string            `json:"address"`
	Hypervisor string            `json:"hypervisor,omitempty"`
	Agent      *AgentFact        `json:"agent,omitempty"`
	Properties *PropertiesFact   `json:"agent_properties,omitempty"`
	Files      *FilesFact        `json:"files,omitempty"`
	Listeners  *ListenersFact    `json:"listeners,omitempty"`
	Libvirtd   *LibvirtdConfFact `json:"libvirtd,omitempty"`
	Firewall   *FirewallFact     `json:"firewall,omitempty"`
	Interfaces *InterfacesFact   `json:"interfaces,omitempty"`
	Packages   *PackagesFact     `json:"packages,omitempty"`
	Clock      *ClockFact        `json:"clock,omitempty"`
	SSH        *SSHFact          `json:"ssh,omitempty"`
	Domains    *DomainsFact      `json:"domains,omitempty"`
	Cert       *CertFact         `json:"agent_cert,omitempty"`
	CPU        *CPUFact          `json:"cpu,omitempty"`
}

// AgentFact is the cloudstack-agent service state.
type AgentFact struct {
	FactMeta
	// State is active, inactive, failed, activating, not-installed,
	// unknown-no-systemd or unknown-chroot (systemctl refused in a chroot).
	State string `json:"state"`
}

// PropertiesFact holds allowlisted agent.properties keys; secrets never pass.
type PropertiesFact struct {
	FactMeta
	Values map[string]string `json:"values"`
}

// FilesFact maps a path to its stat.
type FilesFact struct {
	FactMeta
	Files map[string]FileStat `json:"files"`
}

// FileStat is a file's existence, permission bits and ownership.
type FileStat struct {
	Exists bool   `json:"exists"`
	Mode   string `json:"mode,omitempty"` // octal, e.g. "0600"
	Perm   int    `json:"perm"`           // the same bits as a number, for checks
	Owner  string `json:"owner,omitempty"`
	Group  string `json:"group,omitempty"`
}

// ListenersFact lists TCP listeners and libvirtd socket units.
type ListenersFact struct {
	FactMeta
	Listeners []Listener        `json:"listeners"`
	Units     map[string]string `json:"units,omitempty"` // unit -> enabled/active state
}

// Listener is one listening TCP socket.
type Listener struct {
	Address string `json:"address"`
	Port    int    `json:"port"`
	Process string `json:"process,omitempty"`
}

// LibvirtdConfFact holds the listen/auth keys of libvirtd.conf.
type LibvirtdConfFact struct {
	FactMeta
	Values map[string]string `json:"values"`
}

// FirewallFact is the INPUT reachability verdict per port.
type FirewallFact struct {
	FactMeta
	Backend string `json:"backend,omitempty"`
	// Ports maps a port to open (reachable from anywhere), restricted,
	// closed or indeterminate.
	Ports map[string]PortVerdict `json:"ports"`
	// LinkLocalDropped is true when rules drop 169.254.0.0/16.
	LinkLocalDropped *bool `json:"link_local_dropped,omitempty"`
	// Ports6 is the same verdict for IPv6 (ip6tables-save, nft ip6/inet).
	Ports6 map[string]PortVerdict `json:"ports6,omitempty"`
}

// PortVerdict is what the firewall interpreter concluded for one port.
type PortVerdict struct {
	Verdict string   `json:"verdict"`
	Sources []string `json:"sources,omitempty"`
	// AcceptFrom lists, for a restricted port, the source addresses or CIDRs
	// the accepting rules admit; "any" for an accept limited only by interface
	// or destination, "ipset NAME" for one limited by a set not read.
	AcceptFrom []string `json:"accept_from,omitempty"`
	Reason     string   `json:"reason,omitempty"`
}

// InterfacesFact lists links with MTU.
type InterfacesFact struct {
	FactMeta
	Links []Link `json:"links"`
}

// Link is one network interface.
type Link struct {
	Name     string   `json:"name"`
	MTU      int      `json:"mtu"`
	Kind     string   `json:"kind,omitempty"` // bridge, vxlan, bond, vlan, ...
	Master   string   `json:"master,omitempty"`
	Underlay string   `json:"underlay,omitempty"` // vxlan: the device it sends over
	Up       bool     `json:"up"`
	Addrs    []string `json:"addrs,omitempty"`
}

// PackagesFact maps package name to version.
type PackagesFact struct {
	FactMeta
	Manager  string            `json:"manager,omitempty"`
	Versions map[string]string `json:"versions"`
}

// ClockFact is time sync status and offset against the database clock.
type ClockFact struct {
	FactMeta
	Synchronized *bool `json:"synchronized,omitempty"`
	// OffsetMS is the host clock minus the reference clock: the database's
	// when Reference is "database" (the offset against the auditor plus
	// meta.database.clock_offset_ms subtracted), else the auditor's.
	OffsetMS  float64 `json:"offset_ms"`
	Reference string  `json:"reference,omitempty"`
}

// SSHFact is the SSH round-trip time to the host.
type SSHFact struct {
	FactMeta
	RTTMS float64 `json:"rtt_ms"`
}

// CertFact is the agent certificate (public part only).
type CertFact struct {
	FactMeta
	NotAfter *time.Time `json:"not_after,omitempty"`
	Subject  string     `json:"subject,omitempty"`
	Issuer   string     `json:"issuer,omitempty"`
}

// CPUFact is the host CPU model.
type CPUFact struct {
	FactMeta
	Model string `json:"model"`
}

// DomainsFact is what libvirt reports on the host.
type DomainsFact struct {
	FactMeta
	Source  string   `json:"source,omitempty"` // libvirt or virsh
	Domains []Domain `json:"domains"`
}

// Domain is one libvirt domain.
type Domain struct {
	Name   string `json:"name"`
	UUID   string `json:"uuid"`
	State  string `json:"state"` // running, paused, shutoff, ...
	Reason string `json:"reason,omitempty"`
}

// BMCFacts is what the out-of-band collector learned about one host's BMC.
type BMCFacts struct {
	FactMeta
	HostID    string `json:"host_id"`
	Address   string `json:"address"`
	Reachable *bool  `json:"reachable,omitempty"`
	// Auth is ok, failed, not_tried.
	Auth         string   `json:"auth,omitempty"`
	AuthDetail   string   `json:"auth_detail,omitempty"`
	Power        string   `json:"power,omitempty"` // on, off
	Anonymous    *bool    `json:"anonymous_login,omitempty"`
	NullUser     *bool    `json:"null_user,omitempty"`
	NoneAuth     *bool    `json:"none_auth,omitempty"`
	AuthTypes    []string `json:"auth_types,omitempty"`
	DefaultCreds *bool    `json:"default_credentials,omitempty"`
	// Added by the ipmi collector (additive, v1).
	HostName string `json:"host_name,omitempty"`
	Driver   string `json:"driver,omitempty"` // oobm.driver; only ipmitool is probed
	// NotProbed says why the BMC was not contacted (e.g. driver redfish).
	NotProbed   string  `json:"not_probed,omitempty"`
	ReachDetail string  `json:"reach_detail,omitempty"` // e.g. port closed, no answer within 3s
	RTTMS       float64 `json:"rtt_ms,omitempty"`
	Pong        *bool   `json:"presence_pong,omitempty"`
	// IPMIAnswering is false when the BMC answered the presence ping but not
	// Get Channel Authentication Capabilities: the network stack is up, IPMI
	// is not, and no login is tried.
	IPMIAnswering *bool `json:"ipmi_answering,omitempty"`
	IPMIv20       *bool `json:"ipmi_v2,omitempty"`
	// Credentials names where the session credentials came from: config or
	// cloudstack. The credentials themselves are never recorded.
	Credentials   string `json:"credentials,omitempty"`
	DefaultVendor string `json:"default_credentials_vendor,omitempty"`
	CipherSuite   *int   `json:"cipher_suite,omitempty"`
}

// LocalFacts is what the management server itself shows under local.root.
type LocalFacts struct {
	Hostname   string            `json:"hostname,omitempty"`
	Files      *FilesFact        `json:"files,omitempty"`
	DBProps    *DBPropsFact      `json:"db_properties,omitempty"`
	Heap       *HeapFact         `json:"java_heap,omitempty"`
	Disk       *DiskFact         `json:"log_disk,omitempty"`
	Listeners  *ListenersFact    `json:"listeners,omitempty"`
	Properties map[string]string `json:"server_properties,omitempty"`
	Syslog     *SyslogFact       `json:"syslog,omitempty"`
}

// SyslogFact is whether the management server's logs leave the machine: the
// log4j appenders that send to a remote host, and the syslog daemon's remote
// forwards. Only appender types, names and target hosts are kept.
type SyslogFact struct {
	FactMeta
	Log4jFile string `json:"log4j_file,omitempty"`
	// Log4jRemote: "Syslog NAME -> host", referenced by a logger.
	Log4jRemote []string `json:"log4j_remote,omitempty"`
	SyslogFiles []string `json:"syslog_files,omitempty"`
	// Forwards: "udp host:port", "tcp host", "omfwd host", "syslog-ng host".
	Forwards []string `json:"forwards,omitempty"`
}

// DBPropsFact is the encryption setup of db.properties, never its values.
type DBPropsFact struct {
	FactMeta
	EncryptionType   string `json:"encryption_type"` // none, file, env, web
	EncryptorVersion string `json:"encryptor_version,omitempty"`
	EncryptedValues  int    `json:"encrypted_values"`
	PlainSecrets     int    `json:"plain_secrets"`
}

// HeapFact is the management server's Java heap.
type HeapFact struct {
	FactMeta
	MaxMB int `json:"max_mb"`
}

// DiskFact is free space under /var/log/cloudstack.
type DiskFact struct {
	FactMeta
	Path      string  `json:"path"`
	FreeBytes int64   `json:"free_bytes"`
	SizeBytes int64   `json:"size_bytes"`
	FreePct   float64 `json:"free_pct"`
}

// NewSnapshot returns an empty snapshot with every map allocated.
func NewSnapshot(tool Tool, collectedAt time.Time) *Snapshot {
	return &Snapshot{
		Schema:          SchemaVersion,
		Meta:            Meta{Tool: tool, CollectedAt: collectedAt.UTC(), Collectors: map[string]CollectorRun{}},
		DB:              map[string]Table{},
		Settings:        map[string]Setting{},
		Hosts:           map[string]*HostFacts{},
		OOBM:            map[string]*BMCFacts{},
		Coverage:        map[string]*Coverage{},
		CollectorErrors: []CollectorError{},
	}
}
