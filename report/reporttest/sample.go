// Package reporttest builds the reports the renderers are tested against: a
// small hand-made one full of hostile and non-Latin names, and large generated
// ones for benchmarks. It also holds the golden-file helper the renderer tests
// share.
package reporttest

import (
	"fmt"
	"time"

	"github.com/csaudit/csaudit/report"
)

// Clock is the fixed time every sample is generated at, so goldens are stable.
var Clock = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// Hostile names the renderers must keep inert.
const (
	ScriptName = `<script>alert(1)</script>`
	ImgName    = `"><img src=x onerror=alert(1)>`
	FormulaCSV = `=cmd|' /C calc'!A0`
	// SVGName is a cluster name, so it lands in the inline SVG chart.
	SVGName  = `<svg/onload=alert(2)>`
	Cyrillic = "узел-01"
	Greek    = "κόμβος"
	// CJK is outside DejaVu Sans: the PDF shows '?' for it.
	CJK = "vm-東京-01"
	// Bidi holds a right-to-left override: shown raw it reads "vm-invoiceexe.pdf".
	Bidi = "vm-invoice\u202Efdp.exe"
)

// Sample returns a small report that exercises every part of every format:
// all severities, waived and open findings, expired and unused waivers, a check
// in error with not-evaluated resources, a skipped check, collector errors, and
// names that are HTML, CSV, XML or terminal hostile.
func Sample() *report.Report {
	dbNow := Clock.Add(-2 * time.Minute)
	r := &report.Report{
		Schema:      report.SchemaVersion,
		Tool:        report.Tool{Name: "csaudit", Version: "0.1.0-test"},
		GeneratedAt: Clock,
		Snapshot: report.SnapshotRef{
			SHA256:      "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
			CollectedAt: Clock.Add(-3 * time.Minute),
			DBNow:       &dbNow,
		},
		Target: report.Target{
			Name: "lab <b>cloud</b>", CloudStackVersion: "4.22.0.0",
			Zones: 1, Clusters: 3, Hosts: 12, VMs: 60, Database: "db01:3306/cloud",
		},
		Checks: []report.Check{
			{
				ID: "CS-HA-001", Title: "VM may be running on two hosts",
				Description: "A VM whose power_host differs from host_id while both hosts report it running.",
				Severity:    report.Critical, Category: "ha", Status: report.Fail,
				References: []string{"https://docs.cloudstack.apache.org/en/latest/adminguide/reliability.html"},
				Controls:   []string{"CIS-1.1"}, NotEvaluated: []string{},
				Remediation: &report.Remediation{Summary: "Stop the duplicate instance."},
			},
			{
				ID: "CS-HOST-002", Title: "Host in Alert with running VMs",
				Description: "Hypervisor host state is Alert or Down while VMs are placed on it.",
				Severity:    report.High, Category: "host", Status: report.Fail,
				References: []string{}, Controls: []string{}, NotEvaluated: []string{},
			},
			{
				ID: "CS-SEC-003", Title: `Secret file readable by others <i>"quoted"</i>`,
				Description: "db.properties or key readable beyond CloudStack's own modes.",
				Severity:    report.Medium, Category: "security", Status: report.Fail,
				References: []string{"javascript:alert(1)"}, Controls: []string{"NIST AC-6"}, NotEvaluated: []string{},
			},
			{
				ID: "CS-STOR-004", Title: "Primary storage not Up",
				Description: "A primary storage pool is in a state other than Up.",
				Severity:    report.High, Category: "storage", Status: report.Error,
				References: []string{}, Controls: []string{},
				NotEvaluated: []string{Cyrillic, "host-07", ScriptName},
				StatusReason: "hosts.mounts failed for 3 hosts",
				Requires:     []string{"hosts.mounts"},
			},
			{
				ID: "CS-CFG-005", Title: "Overprovisioning factor above 4",
				Description: "cpu.overprovisioning.factor is above the recommended maximum.",
				Severity:    report.Low, Category: "config", Status: report.Pass,
				References: []string{}, Controls: []string{}, NotEvaluated: []string{},
			},
			{
				ID: "CS-IPMI-006", Title: "BMC reachable without authentication",
				Description: "IPMI answers with the none cipher suite.",
				Severity:    report.Critical, Category: "oobm", Status: report.Skipped,
				References: []string{}, Controls: []string{}, NotEvaluated: []string{},
				StatusReason: "collector ipmi not selected",
			},
			{
				ID: "CS-CFG-007", Title: "Weak default setting",
				Description: "A global setting keeps a weaker-than-recommended default.",
				Severity:    report.Low, Category: "config", Status: report.Fail,
				References: []string{}, Controls: []string{}, NotEvaluated: []string{},
			},
			{
				ID: "CS-INV-008", Title: "Inventory note",
				Description: "Informational inventory of management servers.",
				Severity:    report.Info, Category: "inventory", Status: report.Fail,
				References: []string{}, Controls: []string{}, NotEvaluated: []string{},
			},
		},
		Findings: []report.Finding{
			{
				CheckID: "CS-HA-001", Title: "VM may be running on two hosts", Category: "ha", Severity: report.Critical,
				Resource: report.Resource{Type: "vm", ID: "101", UUID: "0f1e2d3c-0000-4000-8000-000000000101", Name: ScriptName},
				Message:  "VM " + ScriptName + " is Running on host-01 but power_host is host-02",
				Evidence: map[string]any{"cluster": "cluster-A", "host_id": "1", "power_host": "2", "state": "Running"},
				Remediation: report.Remediation{
					Summary: "Stop the copy on the host that should not run it.",
					Steps:   []string{"Confirm on both hypervisors with virsh list.", "Destroy the stray domain."},
					Commands: []report.Command{
						{Kind: "shell", Text: "virsh destroy i-2-101-VM"},
						{Kind: "cmk", Text: "cmk list virtualmachines id=0f1e2d3c-0000-4000-8000-000000000101"},
					},
				},
			},
			{
				CheckID: "CS-HA-001", Title: "VM may be running on two hosts", Category: "ha", Severity: report.Critical,
				Resource: report.Resource{Type: "vm", ID: "102", UUID: "0f1e2d3c-0000-4000-8000-000000000102", Name: ImgName},
				Message:  "VM is Running on two hosts",
				Evidence: map[string]any{"cluster": Greek + "-cluster", "hosts": []any{"host-01", "host-03"}},
				Remediation: report.Remediation{
					Summary:  "Stop the copy on the host that should not run it.",
					Commands: []report.Command{{Kind: "sql", Text: "SELECT id, state, host_id FROM vm_instance WHERE id = 102;"}},
				},
			},
			{
				CheckID: "CS-HOST-002", Title: "Host in Alert with running VMs", Category: "host", Severity: report.High,
				Resource: report.Resource{Type: "host", ID: "1", UUID: "aa000000-0000-4000-8000-000000000001", Name: Cyrillic},
				Message:  "Host " + Cyrillic + " is Alert with 7 running VMs.\nSecond line of the message.",
				Evidence: map[string]any{"cluster": "cluster-A", "status": "Alert", "vms": 7},
				Remediation: report.Remediation{
					Summary:  "Investigate the agent on the host.",
					Commands: []report.Command{{Kind: "shell", Text: "systemctl status cloudstack-agent"}},
				},
			},
			{
				CheckID: "CS-HOST-002", Title: "Host in Alert with running VMs", Category: "host", Severity: report.High,
				Resource: report.Resource{Type: "host", ID: "2", UUID: "aa000000-0000-4000-8000-000000000002", Name: Greek},
				Message:  "Host " + Greek + " is Down with 2 running VMs.",
				Evidence: map[string]any{"cluster": Greek + "-cluster", "status": "Down", "vms": 2},
				Remediation: report.Remediation{
					Summary: "Investigate the agent on the host.",
				},
			},
			{
				CheckID: "CS-SEC-003", Title: "Secret file readable by others", Category: "security", Severity: report.Medium,
				Resource:      report.Resource{Type: "host", ID: "3", Name: FormulaCSV},
				Discriminator: "/etc/cloudstack/management/key",
				Message:       "-rw-r--r-- /etc/cloudstack/management/key\x1b[31m (mode 0644)\x00",
				Evidence:      map[string]any{"path": "/etc/cloudstack/management/key", "mode": "0644"},
				Remediation: report.Remediation{
					Summary:  "Restrict the file to the cloud user.",
					Commands: []report.Command{{Kind: "shell", Text: "chmod 0640 /etc/cloudstack/management/key && chown root:cloud /etc/cloudstack/management/key"}},
				},
			},
			{
				CheckID: "CS-SEC-003", Title: "Secret file readable by others", Category: "security", Severity: report.Medium,
				Status:        report.Waived,
				Resource:      report.Resource{Type: "host", ID: "4", Name: "host-waived-01"},
				Discriminator: "/etc/cloudstack/management/db.properties",
				Message:       "db.properties mode 0644",
				Evidence:      map[string]any{"path": "/etc/cloudstack/management/db.properties", "mode": "0644"},
				Remediation:   report.Remediation{Summary: "Restrict the file to the cloud user."},
				Waiver:        &report.AppliedWaiver{Justification: "Lab host, rebuilt nightly <em>really</em>", Approver: "ops-lead@example.org", Expires: "2027-01-31"},
			},
			{
				CheckID: "CS-CFG-007", Title: "Weak default setting", Category: "config", Severity: report.Low,
				Resource: report.Resource{Type: "setting", Name: "+SUM(A1:A9)"},
				Message:  "@attacker set the value to the default",
				Evidence: map[string]any{"value": "@SUM(1+1)*cmd|' /C calc'!A0", "default": "true"},
				Remediation: report.Remediation{
					Summary:  "Set the recommended value.",
					Commands: []report.Command{{Kind: "cmk", Text: "cmk update configuration name=x value=false"}},
				},
			},
			{
				CheckID: "CS-INV-008", Title: "Inventory note", Category: "inventory", Severity: report.Info,
				Resource:    report.Resource{Type: "vm", ID: "200", Name: CJK},
				Message:     "Tab\there and a carriage\rreturn; emoji \U0001F600 and " + CJK + "; " + Bidi,
				Evidence:    map[string]any{"cluster": SVGName},
				Remediation: report.Remediation{Summary: "None needed."},
			},
		},
		Waivers: report.WaiverSummary{
			Expired: []report.Waiver{{Check: "CS-HOST-002", Resource: "узел-*", Justification: "maintenance window", Approver: "cab@example.org", Expires: "2026-01-01"}},
			Unused:  []report.Waiver{{Check: "CS-CFG-005", Resource: ImgName, Justification: "legacy", Approver: "auditor", Expires: "2027-06-30"}},
		},
		CollectorErrors: []report.CollectorError{
			{Collector: "hosts", Target: Cyrillic, Error: "ssh: handshake failed: host key mismatch\x1b[2J"},
			{Collector: "ipmi", Target: ScriptName, Error: "timeout after 3s"},
		},
	}
	r.Finalize()
	return r
}

// Large returns a report with n findings spread over 20 checks, 6 clusters and
// every severity, for benchmarks and scale tests.
func Large(n int) *report.Report {
	r := Sample()
	r.Findings = r.Findings[:0]
	r.Checks = r.Checks[:0]
	cats := []string{"ha", "host", "security", "storage", "config"}
	for i := 0; i < 20; i++ {
		sev := report.Severities[i%len(report.Severities)]
		r.Checks = append(r.Checks, report.Check{
			ID: fmt.Sprintf("CS-GEN-%03d", i), Title: fmt.Sprintf("Generated check %d", i),
			Description: "A generated check for scale tests.", Severity: sev, Category: cats[i%len(cats)],
			Status: report.Fail, References: []string{}, Controls: []string{}, NotEvaluated: []string{},
		})
	}
	for i := 0; i < n; i++ {
		c := r.Checks[i%len(r.Checks)]
		f := report.Finding{
			CheckID: c.ID, Title: c.Title, Category: c.Category, Severity: c.Severity,
			Resource: report.Resource{Type: "vm", ID: fmt.Sprint(1000 + i), UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Name: fmt.Sprintf("vm-%05d-%s", i, Greek)},
			Message:  fmt.Sprintf("VM vm-%05d is stuck in Stopping for %d hours", i, i%97),
			Evidence: map[string]any{"cluster": fmt.Sprintf("cluster-%d", i%6), "state": "Stopping", "hours": i % 97},
			Remediation: report.Remediation{
				Summary:  "Reconcile the VM state.",
				Commands: []report.Command{{Kind: "cmk", Text: fmt.Sprintf("cmk stop virtualmachine id=%d forced=true", 1000+i)}},
			},
		}
		if i%50 == 0 {
			f.Status = report.Waived
			f.Waiver = &report.AppliedWaiver{Justification: "accepted", Approver: "ops", Expires: "2027-01-31"}
		}
		r.Findings = append(r.Findings, f)
	}
	r.Finalize()
	return r
}
