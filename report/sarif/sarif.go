// Package sarif renders a Report as SARIF 2.1.0: one rule per check, one result
// per finding, waived findings as accepted suppressions, and collector errors
// and checks in error as tool execution notifications.
package sarif

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/csaudit/csaudit/report"
)

const informationURI = "https://github.com/csaudit/csaudit"

// level maps severity to SARIF's three result levels.
func level(s report.Severity) string {
	switch s {
	case report.Critical, report.High:
		return "error"
	case report.Medium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is the CVSS-like score GitHub code scanning reads from rule
// properties to show critical/high/medium/low.
var securitySeverity = map[report.Severity]string{
	report.Critical: "9.5", report.High: "8.0", report.Medium: "5.5", report.Low: "3.0", report.Info: "0.0",
}

// Write renders r as indented SARIF.
func Write(w io.Writer, r *report.Report) error {
	run := sarif.NewRunWithInformationURI("csaudit", informationURI)
	run.Tool.Driver.WithVersion(clean(r.Tool.Version)).WithSemanticVersion(clean(r.Tool.Version))

	for _, c := range r.Checks {
		rule := run.AddRule(clean(c.ID)).
			WithName(ruleName(c.Title)).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText(clean(c.Title))).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(clean(orDefault(c.Description, c.Title)))).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(level(c.Severity)))
		if u := helpURI(c.References); u != "" {
			rule.WithHelpURI(u)
		}
		if c.Remediation != nil && c.Remediation.Summary != "" {
			rule.WithHelp(sarif.NewMultiformatMessageString().WithText(clean(c.Remediation.Summary)))
		}
		props := sarif.NewPropertyBag()
		props.Add("severity", string(c.Severity))
		props.Add("category", clean(c.Category))
		props.Add("status", string(c.Status))
		props.Add("security-severity", securitySeverity[c.Severity])
		if len(c.Controls) > 0 {
			props.Add("controls", cleanAll(c.Controls))
		}
		if len(c.References) > 0 {
			props.Add("references", cleanAll(c.References))
		}
		if len(c.NotEvaluated) > 0 {
			props.Add("not_evaluated", cleanAll(c.NotEvaluated))
		}
		tags := []string{"csaudit"}
		if c.Category != "" {
			tags = append(tags, clean(c.Category))
		}
		props.WithTags(tags)
		rule.WithProperties(props)
	}

	for _, f := range r.Findings {
		if run.GetRuleIndex(f.CheckID) < 0 {
			// A finding of a check the report does not list still needs a rule.
			run.AddRule(clean(f.CheckID)).WithShortDescription(sarif.NewMultiformatMessageString().WithText(clean(orDefault(f.Title, f.CheckID))))
		}
		res := run.CreateResultForRule(clean(f.CheckID)).
			WithLevel(level(f.Severity)).
			WithMessage(sarif.NewMessage().WithText(clean(f.Message))).
			WithPartialFingerprints(map[string]string{"csauditFindingId/v1": f.ID})
		loc := sarif.NewLogicalLocation().
			WithKind(clean(f.Resource.Type)).
			WithName(clean(f.Resource.Label())).
			WithFullyQualifiedName(clean(f.Resource.Type + "/" + resourceKey(f.Resource)))
		// GitHub code scanning rejects a result without a repository-relative
		// artifact path, so the resource gets a stable pseudo path as well.
		phys := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewArtifactLocation().WithURI(artifactURI(f.Resource)))
		res.AddLocation(sarif.NewLocation().WithPhysicalLocation(phys).WithLogicalLocations([]*sarif.LogicalLocation{loc}))
		props := sarif.NewPropertyBag()
		props.Add("severity", string(f.Severity))
		props.Add("resource", map[string]string{
			"type": clean(f.Resource.Type), "id": clean(f.Resource.ID), "uuid": clean(f.Resource.UUID), "name": clean(f.Resource.Name),
		})
		if len(f.Evidence) > 0 {
			props.Add("evidence", cleanValue(f.Evidence))
		}
		if rem := remediation(f.Remediation); rem != nil {
			props.Add("remediation", rem)
		}
		res.WithProperties(props)
		if f.Status == report.Waived && f.Waiver != nil {
			res.AddSuppression(sarif.NewSuppression().
				WithKind("external").
				WithStatus("accepted").
				WithJustification(clean(fmt.Sprintf("%s (approved by %s, expires %s)", f.Waiver.Justification, f.Waiver.Approver, f.Waiver.Expires))))
		}
	}

	inv := sarif.NewInvocation().
		WithExecutionSuccessful(len(r.CollectorErrors) == 0 && !r.HasCheckErrors()).
		WithEndTimeUtc(r.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z"))
	for _, e := range r.CollectorErrors {
		inv.AddToolExecutionNotification(sarif.NewNotification().
			WithLevel("error").
			WithMessage(sarif.NewMessage().WithText(clean(fmt.Sprintf("collector %s, target %s: %s", e.Collector, e.Target, e.Error)))))
	}
	for _, c := range r.Checks {
		if c.Status != report.Error {
			continue
		}
		msg := fmt.Sprintf("check %s not evaluated: %s", c.ID, orDefault(c.StatusReason, "required facts missing"))
		if len(c.NotEvaluated) > 0 {
			msg += " (" + strings.Join(c.NotEvaluated, ", ") + ")"
		}
		inv.AddToolExecutionNotification(sarif.NewNotification().
			WithLevel("error").
			WithAssociatedRule(sarif.NewReportingDescriptorReference().WithID(clean(c.ID)).WithIndex(run.GetRuleIndex(clean(c.ID)))).
			WithMessage(sarif.NewMessage().WithText(clean(msg))))
	}
	run.AddInvocation(inv)
	runProps := sarif.NewPropertyBag()
	runProps.Add("snapshot_sha256", clean(r.Snapshot.SHA256))
	runProps.Add("cloudstack_version", clean(r.Target.CloudStackVersion))
	run.WithProperties(runProps)

	rep := sarif.NewReport()
	rep.AddRun(run)
	if err := rep.PrettyWrite(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func remediation(r report.Remediation) map[string]any {
	if r.Summary == "" && len(r.Steps) == 0 && len(r.Commands) == 0 {
		return nil
	}
	m := map[string]any{"summary": clean(r.Summary)}
	if len(r.Steps) > 0 {
		m["steps"] = cleanAll(r.Steps)
	}
	if len(r.Commands) > 0 {
		var cmds []map[string]string
		for _, c := range r.Commands {
			cmds = append(cmds, map[string]string{"kind": clean(c.Kind), "text": clean(c.Text)})
		}
		m["commands"] = cmds
	}
	if r.FixID != "" {
		m["fix_id"] = clean(r.FixID)
	}
	return m
}

// ruleName turns a title into the PascalCase identifier SARIF viewers expect.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// helpURI is the first http(s) reference; anything else (javascript:, file:)
// is not offered as a link.
func helpURI(refs []string) string {
	for _, r := range refs {
		if strings.HasPrefix(r, "https://") || strings.HasPrefix(r, "http://") {
			return clean(r)
		}
	}
	return ""
}

// artifactURI is "cloudstack/<type>/<uuid, id or name>", each segment
// percent-encoded so any name yields a valid relative URI.
func artifactURI(r report.Resource) string {
	return "cloudstack/" + url.PathEscape(clean(orDefault(r.Type, "resource"))) + "/" + url.PathEscape(clean(resourceKey(r)))
}

func resourceKey(r report.Resource) string {
	for _, v := range []string{r.UUID, r.ID, r.Name} {
		if v != "" {
			return v
		}
	}
	return "-"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// cleanValue cleans every string inside decoded evidence.
func cleanValue(v any) any {
	switch v := v.(type) {
	case string:
		return clean(v)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[clean(k)] = cleanValue(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = cleanValue(x)
		}
		return s
	}
	return v
}

// clean drops characters XML 1.0 cannot carry, bidirectional controls and other
// C0/C1 controls except tab and newline: SARIF is JSON, which could escape them, but viewers render
// them raw and some converters feed SARIF into XML.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n':
			return r
		case r < 0x20, r >= 0x7F && r <= 0x9F, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, report.IsBidiControl(r):
			return -1
		}
		return r
	}, s)
}
