package main

import (
	"io"
	"slices"
	"strings"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/csv"
	htmlreport "github.com/csaudit/csaudit/report/html"
	"github.com/csaudit/csaudit/report/junit"
	pdfreport "github.com/csaudit/csaudit/report/pdf"
	"github.com/csaudit/csaudit/report/prom"
	"github.com/csaudit/csaudit/report/sarif"
)

// outputFormat is one --format name: where it goes and what renders it. This
// table drives help text and validation.
type outputFormat struct {
	name  string
	file  string // written under --out; "" means stdout (the terminal table)
	write func(io.Writer, *report.Report) error
}

var outputFormats = []outputFormat{
	{name: "table"},
	{name: "json", file: "csaudit-report.json", write: report.WriteJSON},
	{name: "html", file: "csaudit-report.html", write: htmlreport.Write},
	{name: "pdf", file: "csaudit-report.pdf", write: pdfreport.Write},
	{name: "csv", file: "csaudit-report.csv", write: csv.Write},
	{name: "junit", file: "csaudit-report.junit.xml", write: junit.Write},
	{name: "sarif", file: "csaudit-report.sarif", write: sarif.Write},
	{name: "prom", file: "csaudit-report.prom", write: prom.Write},
}

func formatNames() string {
	var names []string
	for _, f := range outputFormats {
		names = append(names, f.name)
	}
	return strings.Join(names, ",")
}

// parseFormats validates a comma list; unknown names are usage errors.
func parseFormats(list string) ([]outputFormat, error) {
	var out []outputFormat
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(strings.ToLower(n))
		if n == "" {
			continue
		}
		i := slices.IndexFunc(outputFormats, func(f outputFormat) bool { return f.name == n })
		if i < 0 {
			return nil, usageErr("--format: unknown format %q (known: %s)", n, formatNames())
		}
		if !slices.ContainsFunc(out, func(f outputFormat) bool { return f.name == n }) {
			out = append(out, outputFormats[i])
		}
	}
	if len(out) == 0 {
		return nil, usageErr("--format: no format named")
	}
	return out, nil
}

func needsOut(fs []outputFormat) []string {
	var names []string
	for _, f := range fs {
		if f.file != "" {
			names = append(names, f.name)
		}
	}
	return names
}
