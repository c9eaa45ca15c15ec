package policies

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
)

// seedCoverage is the hand-kept table of the seeds' rules and their checks,
// appended to the catalog (TestSeedCoverage keeps its check ids real).
//
//go:embed seed_coverage.md
var seedCoverage string

// WriteCatalog renders every check as Markdown (docs/checks.md).
func (e *Engine) WriteCatalog(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# csaudit checks\n\nGenerated from each check's METADATA by `make docs`; do not edit by hand.\n\n")
	b.WriteString("| id | severity | category | title |\n|---|---|---|---|\n")
	for _, c := range e.checks {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", c.ID, strings.ToLower(c.ID), c.Severity, c.Category, c.Title)
	}
	for _, c := range e.checks {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** — severity %s, category %s.\n\n%s\n\n", c.ID, c.Title, c.Severity, c.Category, c.Description)
		fmt.Fprintf(&b, "Requires: %s.", "`"+strings.Join(c.Requires, "`, `")+"`")
		if len(c.Controls) > 0 {
			fmt.Fprintf(&b, " Controls: %s.", strings.Join(c.Controls, ", "))
		}
		b.WriteString("\n\nReferences:\n")
		for _, r := range c.References {
			fmt.Fprintf(&b, "- %s\n", r)
		}
		fmt.Fprintf(&b, "\nRemediation: %s\n", c.Remediation.Summary)
		for _, s := range c.Remediation.Steps {
			fmt.Fprintf(&b, "- %s\n", s)
		}
		if len(c.Remediation.Commands) > 0 {
			b.WriteString("\n```\n")
			for _, cmd := range c.Remediation.Commands {
				fmt.Fprintf(&b, "# %s\n%s\n", cmd.Kind, cmd.Text)
			}
			b.WriteString("```\n")
		}
		fmt.Fprintf(&b, "\nSource: `%s`\n", strings.TrimPrefix(c.File, "embedded:"))
	}
	b.WriteString(seedCoverage)
	_, err := io.WriteString(w, b.String())
	return err
}

// Text is the check's documentation as `csaudit checks show` prints it.
func (c *Check) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n", c.ID, c.Title)
	fmt.Fprintf(&b, "severity: %s   category: %s\n\n%s\n\n", c.Severity, c.Category, c.Description)
	fmt.Fprintf(&b, "requires: %s\n", strings.Join(c.Requires, ", "))
	if len(c.Controls) > 0 {
		fmt.Fprintf(&b, "controls: %s\n", strings.Join(c.Controls, ", "))
	}
	fmt.Fprintf(&b, "references:\n")
	for _, r := range c.References {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
	fmt.Fprintf(&b, "\nremediation: %s\n", c.Remediation.Summary)
	for _, s := range c.Remediation.Steps {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	for _, cmd := range c.Remediation.Commands {
		fmt.Fprintf(&b, "  [%s] %s\n", cmd.Kind, cmd.Text)
	}
	fmt.Fprintf(&b, "\nsource: %s (package %s)\n", c.File, c.Package)
	return b.String()
}
