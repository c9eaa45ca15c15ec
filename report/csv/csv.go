// Package csv renders findings as one CSV row each, for spreadsheets. Cells are
// neutralised so a hostile resource name cannot become a formula.
package csv

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
	"unicode"

	"github.com/csaudit/csaudit/report"
)

// Header is the single header row.
var Header = []string{
	"finding_id", "check_id", "title", "category", "severity", "status",
	"resource_type", "resource_id", "resource_uuid", "resource_name",
	"message", "evidence", "remediation", "commands",
	"waiver_justification", "waiver_approver", "waiver_expires", "kind",
}

// Row kinds: every finding is one "finding" row; after them, a check that could
// not be evaluated and a collector error each get a row, so a spreadsheet of the
// audit never hides what was not checked. Filter on kind=finding for findings only.
const (
	KindFinding        = "finding"
	KindCheckError     = "check_error"
	KindCollectorError = "collector_error"
)

// Write writes the header, one row per finding in the report's order, then one
// row per check in status error and per collector error.
func Write(w io.Writer, r *report.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	row := make([]string, len(Header))
	for _, f := range r.Findings {
		ev := ""
		if len(f.Evidence) > 0 {
			// encoding/json sorts map keys, so the cell is stable across runs.
			b, err := json.Marshal(f.Evidence)
			if err != nil {
				return err
			}
			ev = string(b)
		}
		var cmds []string
		for _, c := range f.Remediation.Commands {
			cmds = append(cmds, c.Kind+": "+c.Text)
		}
		var wj, wa, we string
		if f.Waiver != nil {
			wj, wa, we = f.Waiver.Justification, f.Waiver.Approver, f.Waiver.Expires
		}
		row = append(row[:0],
			f.ID, f.CheckID, f.Title, f.Category, string(f.Severity), f.Status,
			f.Resource.Type, f.Resource.ID, f.Resource.UUID, f.Resource.Name,
			f.Message, ev, remediation(f.Remediation), strings.Join(cmds, "\n"),
			wj, wa, we, KindFinding,
		)
		if err := writeRow(cw, row); err != nil {
			return err
		}
	}
	for _, c := range r.Checks {
		if c.Status != report.Error {
			continue
		}
		row = append(row[:0], "", c.ID, c.Title, c.Category, string(c.Severity), string(c.Status),
			"", "", "", strings.Join(c.NotEvaluated, "\n"), c.StatusReason, "", "", "", "", "", "", KindCheckError)
		if err := writeRow(cw, row); err != nil {
			return err
		}
	}
	for _, e := range r.CollectorErrors {
		row = append(row[:0], "", "", "", "", "", "error",
			"collector", "", "", e.Collector, e.Target+": "+e.Error, "", "", "", "", "", "", KindCollectorError)
		if err := writeRow(cw, row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeRow(cw *csv.Writer, row []string) error {
	for i := range row {
		row[i] = Cell(row[i])
	}
	return cw.Write(row)
}

func remediation(r report.Remediation) string {
	parts := []string{r.Summary}
	parts = append(parts, r.Steps...)
	return strings.TrimSpace(strings.Join(parts, "\n"))
}

// Cell makes a value safe for a spreadsheet: control characters other than
// newline and tab (CR too, which could hide text in a terminal) are dropped, and a value a spreadsheet would read as a
// formula (leading = + - @, tab or CR, also after leading blanks) gets a
// leading apostrophe, the convention spreadsheets show as text.
func Cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || report.IsBidiControl(r) {
			return -1
		}
		return r
	}, s)
	if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return "'" + s
	}
	return s
}
