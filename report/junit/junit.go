// Package junit renders a Report as JUnit XML for CI dashboards: one testcase
// per check with its status, and one failing testcase per open finding.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/csaudit/csaudit/report"
)

type testsuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Suites   []testsuite `xml:"testsuite"`
}

type testsuite struct {
	Name       string      `xml:"name,attr"`
	Tests      int         `xml:"tests,attr"`
	Failures   int         `xml:"failures,attr"`
	Errors     int         `xml:"errors,attr"`
	Skipped    int         `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr"`
	Properties *properties `xml:"properties,omitempty"`
	Cases      []testcase  `xml:"testcase"`
	SystemErr  string      `xml:"system-err,omitempty"`
}

type properties struct {
	List []property `xml:"property"`
}

type property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type testcase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *outcome `xml:"failure,omitempty"`
	Error     *outcome `xml:"error,omitempty"`
	Skipped   *outcome `xml:"skipped,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

type outcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// Write renders r. Times are zero: csaudit evaluates all checks in one query,
// so there is no per-check duration to report.
func Write(w io.Writer, r *report.Report) error {
	ts := r.GeneratedAt.UTC().Format(time.RFC3339)
	checks := testsuite{Name: "csaudit.checks", Time: "0", Timestamp: ts}
	checks.Properties = &properties{List: []property{
		{"tool_version", r.Tool.Version},
		{"cloudstack_version", r.Target.CloudStackVersion},
		{"snapshot_sha256", r.Snapshot.SHA256},
		{"collector_errors", fmt.Sprint(len(r.CollectorErrors))},
	}}
	for _, c := range r.Checks {
		tc := testcase{Name: c.ID + ": " + c.Title, Classname: "csaudit.checks." + c.Category, Time: "0"}
		switch c.Status {
		case report.Fail:
			open := 0
			for _, f := range r.Findings {
				if f.CheckID == c.ID && f.Status != report.Waived {
					open++
				}
			}
			tc.Failure = &outcome{Message: fmt.Sprintf("%d open finding(s)", open), Type: string(c.Severity), Body: c.Description}
			checks.Failures++
		case report.Error:
			body := c.StatusReason
			if len(c.NotEvaluated) > 0 {
				body += "\nnot evaluated: " + strings.Join(c.NotEvaluated, ", ")
			}
			tc.Error = &outcome{Message: "not evaluated: " + orDefault(c.StatusReason, "required facts missing"), Type: "error", Body: strings.TrimSpace(body)}
			checks.Errors++
		case report.Skipped:
			tc.Skipped = &outcome{Message: orDefault(c.StatusReason, "skipped")}
			checks.Skipped++
		case report.Pass:
		default:
			// An unknown status is never shown as a pass.
			tc.Error = &outcome{Message: "unknown status " + string(c.Status), Type: "error"}
			checks.Errors++
		}
		checks.Cases = append(checks.Cases, tc)
	}
	checks.Tests = len(checks.Cases)
	if len(r.CollectorErrors) > 0 {
		var b strings.Builder
		for _, e := range r.CollectorErrors {
			fmt.Fprintf(&b, "collector %s, target %s: %s\n", e.Collector, e.Target, e.Error)
		}
		checks.SystemErr = b.String()
	}

	findings := testsuite{Name: "csaudit.findings", Time: "0", Timestamp: ts}
	for _, f := range r.Findings {
		tc := testcase{
			Name:      fmt.Sprintf("%s %s %s [%s]", f.CheckID, f.Resource.Type, f.Resource.Label(), f.ID),
			Classname: "csaudit.findings." + f.CheckID,
			Time:      "0",
		}
		if f.Waiver != nil || f.Status == report.Waived {
			msg := "waived"
			if f.Waiver != nil {
				msg = fmt.Sprintf("waived by %s until %s: %s", f.Waiver.Approver, f.Waiver.Expires, f.Waiver.Justification)
			}
			tc.Skipped = &outcome{Message: msg}
			findings.Skipped++
		} else {
			tc.Failure = &outcome{Message: f.Message, Type: string(f.Severity), Body: details(f)}
			findings.Failures++
		}
		findings.Cases = append(findings.Cases, tc)
	}
	findings.Tests = len(findings.Cases)

	all := testsuites{Name: "csaudit", Time: "0", Suites: []testsuite{checks, findings}}
	for _, s := range all.Suites {
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
		all.Skipped += s.Skipped
	}
	sanitize(&all)

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func details(f report.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "severity: %s\nresource: %s id=%s uuid=%s name=%s\n", f.Severity, f.Resource.Type, f.Resource.ID, f.Resource.UUID, f.Resource.Name)
	if len(f.Evidence) > 0 {
		keys := make([]string, 0, len(f.Evidence))
		for k := range f.Evidence {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("evidence:\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %v\n", k, f.Evidence[k])
		}
	}
	if f.Remediation.Summary != "" {
		fmt.Fprintf(&b, "remediation: %s\n", f.Remediation.Summary)
	}
	for _, s := range f.Remediation.Steps {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	for _, c := range f.Remediation.Commands {
		fmt.Fprintf(&b, "  %s: %s\n", c.Kind, c.Text)
	}
	return b.String()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// sanitize strips every character XML 1.0 cannot carry (NUL, ESC, other C0
// controls, surrogates, U+FFFE/U+FFFF) from every string that came from the
// report; encoding/xml would otherwise replace them with U+FFFD.
func sanitize(all *testsuites) {
	for i := range all.Suites {
		s := &all.Suites[i]
		if s.Properties != nil {
			for j := range s.Properties.List {
				s.Properties.List[j].Value = Clean(s.Properties.List[j].Value)
			}
		}
		s.SystemErr = Clean(s.SystemErr)
		for j := range s.Cases {
			c := &s.Cases[j]
			c.Name, c.Classname, c.SystemOut = Clean(c.Name), Clean(c.Classname), Clean(c.SystemOut)
			for _, o := range []*outcome{c.Failure, c.Error, c.Skipped} {
				if o != nil {
					o.Message, o.Type, o.Body = Clean(o.Message), Clean(o.Type), Clean(o.Body)
				}
			}
		}
	}
}

// Clean drops runes outside the XML 1.0 Char production and bidirectional
// controls (report.IsBidiControl).
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
			return r
		case report.IsBidiControl(r):
			return -1
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return -1
	}, s)
}
