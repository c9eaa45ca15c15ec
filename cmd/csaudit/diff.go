package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/table"
)

func writeDiff(w io.Writer, d *report.Changes) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d added, %d resolved, %d still open, %d checks changed status\n",
		len(d.Added), len(d.Fixed), d.Still, len(d.Checks))
	for _, sec := range []struct {
		mark string
		fs   []report.Finding
	}{{"+", d.Added}, {"-", d.Fixed}} {
		for _, f := range sec.fs {
			fmt.Fprintf(&b, "%s %-8s %-14s %s %s: %s\n", sec.mark, f.Severity, table.Clean(f.CheckID), table.Clean(f.Resource.Type), table.Clean(f.Resource.Name), table.Clean(f.Message))
		}
	}
	for _, c := range d.Checks {
		fmt.Fprintf(&b, "~ %s %s → %s  %s\n", table.Clean(c.ID), c.Was, c.Now, table.Clean(c.Note))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
