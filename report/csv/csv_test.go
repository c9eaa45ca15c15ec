package csv

import (
	"bytes"
	"encoding/csv"
	"flag"
	"strings"
	"testing"

	"github.com/csaudit/csaudit/report/reporttest"
)

var _ = flag.Bool("update", false, reporttest.UpdateFlag)

func TestGolden(t *testing.T) {
	buf := bytes.NewBuffer(reporttest.Render(t, Write, reporttest.Sample()))
	reporttest.Golden(t, "sample.csv", buf.Bytes())
}

func TestOneHeaderAndARowPerFinding(t *testing.T) {
	r := reporttest.Sample()
	buf := bytes.NewBuffer(reporttest.Render(t, Write, r))
	rows, err := csv.NewReader(buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	errChecks := 0
	for _, c := range r.Checks {
		if c.Status == "error" {
			errChecks++
		}
	}
	if errChecks == 0 || len(r.CollectorErrors) == 0 {
		t.Fatal("the sample lacks a check in error or a collector error")
	}
	if len(r.Controls) == 0 {
		t.Fatal("the sample has no control area")
	}
	if got, want := len(rows), 1+len(r.Findings)+errChecks+len(r.CollectorErrors)+len(r.Controls); got != want {
		t.Fatalf("got %d rows, want %d", got, want)
	}
	kinds := map[string]int{}
	for _, row := range rows[1:] {
		kinds[row[len(row)-1]]++
	}
	if kinds[KindFinding] != len(r.Findings) || kinds[KindCheckError] != errChecks || kinds[KindCollectorError] != len(r.CollectorErrors) || kinds[KindControl] != len(r.Controls) {
		t.Errorf("row kinds %v", kinds)
	}
	if strings.Join(rows[0], ",") != strings.Join(Header, ",") {
		t.Errorf("first row is %q, want the header", rows[0])
	}
	for i, row := range rows[1 : 1+len(r.Findings)] {
		if row[0] != r.Findings[i].ID {
			t.Errorf("row %d is finding %s, want %s", i+1, row[0], r.Findings[i].ID)
		}
		if row[0] == "finding_id" {
			t.Errorf("row %d repeats the header", i+1)
		}
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d column %s starts with a formula character: %q", i+1, Header[j], cell)
			}
			if strings.ContainsAny(cell, "\x00\x1b") {
				t.Errorf("row %d column %s keeps a control character: %q", i+1, Header[j], cell)
			}
		}
	}
	found := false
	for _, row := range rows[1:] {
		if row[9] == "'"+reporttest.FormulaCSV {
			found = true
		}
	}
	if !found {
		t.Errorf("no resource_name cell holds the neutralised %q", reporttest.FormulaCSV)
	}
}

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+1", "'=1+1"},
		{"+SUM(A1)", "'+SUM(A1)"},
		{"-2", "'-2"},
		{"@cmd", "'@cmd"},
		{"\tx", "'\tx"},
		{"\rx", "x"},
		{"a\r\nb", "a\nb"},
		{"  =x", "'  =x"},
		{"a=b", "a=b"},
		{"\x1b[31mred", "[31mred"},
		{"\x00=x", "'=x"},
		{"узел-01", "узел-01"},
		{"invoice\u202Efdp.exe", "invoicefdp.exe"},
		{"\u2066=x\u2069", "'=x"},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
