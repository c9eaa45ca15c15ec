package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCmd writes csaudit(1) and one page per subcommand from the command tree,
// so the pages never drift from the flags. Hidden: the packages ship the
// pages; `make dist` calls this to make them.
func (a *app) manCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write the man pages (section 1) into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return fatal(err)
			}
			// The date comes from SOURCE_DATE_EPOCH when set (cobra/doc reads
			// it), so packages built from one commit are byte-identical.
			h := &doc.GenManHeader{Title: "CSAUDIT", Section: "1", Source: "csaudit " + a.version, Manual: "csaudit manual"}
			if err := doc.GenManTree(cmd.Root(), h, args[0]); err != nil {
				return fatal(fmt.Errorf("man pages: %w", err))
			}
			return nil
		},
	}
}
