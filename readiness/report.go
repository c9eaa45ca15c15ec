package readiness

import (
	"strings"

	"github.com/csaudit/csaudit/report"
)

func (h *host) res() report.Resource {
	return report.Resource{Type: "host", ID: h.id, UUID: h.uuid, Name: h.name}
}

// res files a VM as the report's resource types do: routers and other system
// VMs apart from user VMs.
func (v *vm) res() report.Resource {
	t := "vm"
	switch v.typ {
	case "User", "":
	case "DomainRouter":
		t = "router"
	default:
		t = "system_vm"
	}
	return report.Resource{Type: t, ID: v.id, UUID: v.uuid, Name: v.name}
}

func (cl *cloud) clusterRes() report.Resource {
	return report.Resource{Type: "cluster", ID: cl.cluster.id, UUID: cl.cluster.uuid, Name: cl.cluster.name}
}

// add files a finding of rule id against res, found while draining h.
func (sm *sim) add(id string, res report.Resource, msg string, ev map[string]any, h *host) *report.Finding {
	r := ruleByID(id)
	if ev == nil {
		ev = map[string]any{}
	}
	ev["cluster"] = sm.cl.cluster.name
	ev["drained_host"] = h.name
	sm.findings = append(sm.findings, report.Finding{CheckID: r.id, Title: r.title, Category: "readiness", Severity: r.severity,
		Resource: res, Message: msg, Evidence: ev, Remediation: sm.remedy(r, res, "")})
	return &sm.findings[len(sm.findings)-1]
}

func (sm *sim) hostFinding(id string, h *host, msg string, ev map[string]any) *report.Finding {
	drained := h
	if sm.down != "" {
		drained = sm.cl.hosts[sm.down]
	}
	return sm.add(id, h.res(), msg, ev, drained)
}

func (sm *sim) vmFinding(id string, v *vm, h *host, msg string, ev map[string]any) *report.Finding {
	if ev == nil {
		ev = map[string]any{}
	}
	if v.offering != "" {
		ev["service_offering"] = v.offering
	}
	return sm.add(id, v.res(), msg, ev, h)
}

// fillJob names the job in the finding's commands.
func (sm *sim) fillJob(f *report.Finding, j job) {
	f.Remediation = sm.remedy(ruleByID(f.CheckID), f.Resource, j.uuid)
}

// remedy fills a rule's commands with the resource, its cluster and zone;
// only well-formed uuids go into a command (see arg).
func (sm *sim) remedy(r *rule, res report.Resource, jobUUID string) report.Remediation {
	zone := sm.cl.snap.DB["data_center"][sm.cl.cluster.zone].Text("uuid")
	rep := strings.NewReplacer("{uuid}", arg(res.UUID, "<"+res.Type+" uuid>"), "{cluster}", arg(sm.cl.cluster.uuid, "<cluster uuid>"),
		"{zone}", arg(zone, "<zone uuid>"), "{job}", arg(jobUUID, "<job uuid>"))
	out := report.Remediation{Summary: r.remedy.Summary, Steps: append([]string(nil), r.remedy.Steps...)}
	for _, c := range r.remedy.Commands {
		out.Commands = append(out.Commands, report.Command{Kind: c.Kind, Text: rep.Replace(c.Text)})
	}
	return out
}

// checks are the rules with their status: fail with a finding, skipped when
// the collector behind them was not run, error when their facts are missing
// for some host, pass otherwise.
func (sm *sim) checks() []report.Check {
	found := map[string]bool{}
	for _, f := range sm.findings {
		found[f.CheckID] = true
	}
	out := make([]report.Check, 0, len(rules))
	for i := range rules {
		r := &rules[i]
		rem := r.remedy
		c := report.Check{ID: r.id, Title: r.title, Description: r.description, Severity: r.severity, Category: "readiness",
			Status: report.Pass, References: append([]string(nil), r.refs...), Controls: []string{}, NotEvaluated: []string{},
			Remediation: &rem, Source: "readiness"}
		if why := sm.notChecked[r.id]; len(why) > 0 {
			c.StatusReason = "not checked: " + strings.Join(why, "; ")
			c.Status = report.Error
			if sm.collectorOff[r.id] {
				c.Status = report.Skipped
			}
		}
		if found[r.id] {
			c.Status = report.Fail
		}
		out = append(out, c)
	}
	return out
}

func (sm *sim) notCheckedList() []report.NotChecked {
	out := []report.NotChecked{}
	for _, id := range sortedKeys(sm.notChecked) {
		out = append(out, report.NotChecked{CheckID: id, Reason: strings.Join(sm.notChecked[id], "; ")})
	}
	return out
}

// Apply puts the result into r (a report built from the same snapshot) and
// finalizes it: readiness reports carry only readiness checks.
func (res *Result) Apply(r *report.Report) {
	r.Checks = res.Checks
	r.Findings = res.Findings
	r.Readiness = res.Readiness
	r.Finalize()
}
