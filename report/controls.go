package report

import (
	"math"
	"sort"
	"strconv"
)

// ControlArea is one entry of the control catalogue (docs/controls.md): a
// `controls` tag the checks carry, what it means for a CloudStack cloud, and
// the family of the common frameworks it corresponds to ("" where none does).
type ControlArea struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Meaning string `json:"meaning"`
	CIS     string `json:"cis"`
	ISO     string `json:"iso27001"`
	NIST    string `json:"nist_800_53"`
}

// Controls is the control catalogue, by id. Every tag an embedded check uses
// is here (a test in policies checks it); a custom check's unknown tag is
// still scored, under its own name.
var ControlCatalog = []ControlArea{
	{"access-control", "Access control", "Who may reach the management plane: API ports, BMC users, API keys of root admins, the audit account's own rights.", "Control 6 (Access Control Management)", "A.5.15 Access control, A.8.2 Privileged access rights", "AC (Access Control)"},
	{"audit-trail", "Audit trail", "Management-server events and logs kept where an operator with root on the server cannot quietly erase them.", "Control 8 (Audit Log Management)", "A.8.15 Logging", "AU (Audit and Accountability)"},
	{"authentication", "Authentication", "Agents, hosts and libvirt prove who they are: CA-issued certificates enforced, no unauthenticated libvirt TCP.", "Control 6 (Access Control Management)", "A.8.5 Secure authentication", "IA (Identification and Authentication)"},
	{"availability", "Availability", "The cloud keeps serving: hosts, management servers, system VMs, routers and storage Up, and nothing it depends on silently missing.", "", "A.8.14 Redundancy of information processing facilities, A.5.30 ICT readiness for business continuity", "CP (Contingency Planning)"},
	{"backup", "Backup", "Volume snapshots complete and secondary storage can take them.", "Control 11 (Data Recovery)", "A.8.13 Information backup", "CP-9 (System Backup)"},
	{"capacity", "Capacity", "Clusters and storage have headroom for a host failure and for growth; overprovisioning within what the hypervisor can honour.", "", "A.8.6 Capacity management", "SC-5 (Denial-of-Service Protection; resource availability)"},
	{"configuration", "Configuration", "Settings agree with the infrastructure they describe (e.g. system VM storage placement).", "Control 4 (Secure Configuration)", "A.8.9 Configuration management", "CM (Configuration Management)"},
	{"credentials", "Credentials", "No shared, default or over-exposed secrets: system VM passwords, host keys, secret files.", "Control 5 (Account Management)", "A.5.17 Authentication information", "IA-5 (Authenticator Management)"},
	{"database", "Management database", "The CloudStack database server is set up as the install guide requires.", "Control 4 (Secure Configuration)", "A.8.9 Configuration management", "CM (Configuration Management)"},
	{"drift", "Drift", "CloudStack's records agree with the hardware (BMC power state).", "", "A.8.9 Configuration management", "CM-6 (Configuration Settings)"},
	{"encryption", "Encryption", "Traffic and data at rest encrypted: agent certificates valid, console proxy over TLS, db.properties and volumes encrypted.", "Control 3 (Data Protection)", "A.8.24 Use of cryptography", "SC-8, SC-13, SC-28 (System and Communications Protection)"},
	{"file-permissions", "File permissions", "Secret files on hosts and management servers readable only by CloudStack's own account.", "Control 3 (Data Protection)", "A.8.3 Information access restriction", "AC-3 (Access Enforcement)"},
	{"ha", "High availability and fencing", "VM HA and Host HA can act: fencing through working out-of-band management, heartbeats, HA tags and spare capacity.", "", "A.8.14 Redundancy of information processing facilities", "CP-7, CP-10 (Contingency Planning)"},
	{"hardening", "Hardening", "Documented hardening settings of CloudStack, hosts and BMCs applied.", "Control 4 (Secure Configuration); the CIS Benchmarks for the host OS", "A.8.9 Configuration management", "CM-6, CM-7 (Configuration Management)"},
	{"integrity", "Integrity", "A VM runs once and where CloudStack thinks; versions and states agree so no operation corrupts data.", "", "A.8.9 Configuration management", "SI (System and Information Integrity)"},
	{"least-privilege", "Least privilege", "Accounts have only the rights their job needs (the audit account reads, never writes).", "Control 6 (Access Control Management)", "A.8.2 Privileged access rights", "AC-6 (Least Privilege)"},
	{"logging", "Logging", "Logs are written, kept with space to spare and time-stamped by synchronised clocks.", "Control 8 (Audit Log Management)", "A.8.15 Logging, A.8.17 Clock synchronization", "AU (Audit and Accountability)"},
	{"monitoring", "Monitoring", "CloudStack's own health checks (virtual router) are on.", "Control 13 (Network Monitoring and Defense)", "A.8.16 Monitoring activities", "SI-4 (System Monitoring)"},
	{"network", "Network", "Guest and management networking works: bridges, MTU, latency, virtual routers.", "Control 12 (Network Infrastructure Management)", "A.8.20 Networks security", "SC (System and Communications Protection)"},
	{"network-access", "Network access", "Management ports (API, SSH, libvirt) reachable only from where they must be.", "Control 12 (Network Infrastructure Management)", "A.8.20 Networks security, A.8.22 Segregation of networks", "SC-7 (Boundary Protection), AC-17 (Remote Access)"},
	{"network-segmentation", "Network segmentation", "Out-of-band management on its own network, apart from the hosts' management network.", "Control 12 (Network Infrastructure Management)", "A.8.22 Segregation of networks", "SC-7 (Boundary Protection)"},
	{"operations", "Operations", "Jobs, VMs, volumes and hosts are not stuck; the routine work CloudStack queues gets done.", "", "A.5.37 Documented operating procedures", "SI-4 (System Monitoring)"},
	{"patching", "Patching", "Management servers, agents, system VM templates and routers on supported, consistent, patched versions.", "Control 7 (Continuous Vulnerability Management)", "A.8.8 Management of technical vulnerabilities", "SI-2 (Flaw Remediation)"},
	{"secrets", "Secrets", "Keys and passwords stored encrypted and readable by no one else.", "Control 3 (Data Protection)", "A.8.24 Use of cryptography, A.5.17 Authentication information", "SC-12 (Cryptographic Key Management), IA-5"},
	{"session-management", "Session management", "UI and API sessions protected in transit (Secure cookies).", "", "A.8.5 Secure authentication", "SC-23 (Session Authenticity)"},
	{"storage", "Storage", "Primary and secondary storage Up, with space, holding what the VMs need.", "", "A.8.14 Redundancy of information processing facilities", "CP (Contingency Planning)"},
	{"tenant-isolation", "Tenant isolation", "Tenants cannot reach the cloud's own system VMs or one another's networks.", "Control 12 (Network Infrastructure Management)", "A.8.22 Segregation of networks", "SC-7 (Boundary Protection), SC-39 (Process Isolation)"},
	{"vulnerability-management", "Vulnerability management", "Published CloudStack vulnerabilities judged against the running versions, with current advisory data.", "Control 7 (Continuous Vulnerability Management)", "A.8.8 Management of technical vulnerabilities", "RA-5 (Vulnerability Monitoring and Scanning)"},
}

// ControlAreaByID returns the catalogue entry for id, or false.
func ControlAreaByID(id string) (ControlArea, bool) {
	for _, c := range ControlCatalog {
		if c.ID == id {
			return c, true
		}
	}
	return ControlArea{}, false
}

// ScoreWeights weighs a check by its METADATA severity in the control score
// (docs/controls.md). An info check is a note and never moves a score.
var ScoreWeights = map[Severity]int{Critical: 10, High: 5, Medium: 3, Low: 1, Info: 0}

// ControlScore is one control area's result in this report.
type ControlScore struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Catalogued is false for a tag only custom checks use.
	Catalogued    bool     `json:"catalogued"`
	Checks        []string `json:"checks"`
	ChecksPassed  int      `json:"checks_passed"`
	ChecksFailed  int      `json:"checks_failed"`
	ChecksError   int      `json:"checks_error"`
	ChecksSkipped int      `json:"checks_skipped"`
	// Open counts the open (unwaived) findings of the area's checks.
	Open map[Severity]int `json:"open_by_severity"`
	// Score is 0–100, or null when no weighted check was evaluated (all
	// skipped, or only info checks).
	Score *int `json:"score" jsonschema:"nullable"`
}

// scoreControls computes every area's score from the checks and findings:
//
//	score = round(100 × Σ earned / Σ weight) over the area's checks that ran
//
// where weight is ScoreWeights[check severity]; a passed check earns its
// weight, a check in error earns 0 (missing data is never a pass), and a
// failed check earns its weight less the weight of its most severe open
// finding (a high check failing with a low finding loses 1 of 5). Skipped
// checks did not run and count on neither side.
func scoreControls(checks []Check, findings []Finding) []ControlScore {
	worst := map[string]int{} // check id -> weight of its most severe open finding
	open := map[string]map[Severity]int{}
	for _, f := range findings {
		if f.Status == Waived {
			continue
		}
		if w := ScoreWeights[f.Severity]; w > worst[f.CheckID] {
			worst[f.CheckID] = w
		}
		if open[f.CheckID] == nil {
			open[f.CheckID] = map[Severity]int{}
		}
		open[f.CheckID][f.Severity]++
	}
	type acc struct {
		s              ControlScore
		earned, weight int
	}
	areas := map[string]*acc{}
	for _, c := range checks {
		for _, tag := range dedupe(c.Controls) {
			a := areas[tag]
			if a == nil {
				a = &acc{s: ControlScore{ID: tag, Title: tag, Checks: []string{}, Open: map[Severity]int{}}}
				for _, sev := range Severities {
					a.s.Open[sev] = 0
				}
				if ca, ok := ControlAreaByID(tag); ok {
					a.s.Title, a.s.Catalogued = ca.Title, true
				}
				areas[tag] = a
			}
			a.s.Checks = append(a.s.Checks, c.ID)
			w := ScoreWeights[c.Severity]
			switch c.Status {
			case Pass:
				a.s.ChecksPassed++
				a.earned += w
				a.weight += w
			case Fail:
				a.s.ChecksFailed++
				a.earned += max(0, w-worst[c.ID])
				a.weight += w
			case Error:
				a.s.ChecksError++
				a.weight += w
			default:
				a.s.ChecksSkipped++
			}
			for sev, n := range open[c.ID] {
				a.s.Open[sev] += n
			}
		}
	}
	out := make([]ControlScore, 0, len(areas))
	for _, a := range areas {
		if a.weight > 0 {
			v := int(math.Round(100 * float64(a.earned) / float64(a.weight)))
			a.s.Score = &v
		}
		sort.Strings(a.s.Checks)
		out = append(out, a.s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func dedupe(tags []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range tags {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// ScoreText is the score for people: the number, or "n/a".
func (c ControlScore) ScoreText() string {
	if c.Score == nil {
		return "n/a"
	}
	return strconv.Itoa(*c.Score)
}
