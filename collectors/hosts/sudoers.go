package hosts

import (
	"strings"
)

// Sudoers renders a sudoers drop-in that allows the audit user exactly the
// script's privileged commands (the table's Sudo lines) and nothing else:
// the recommended non-root setup, see docs/hosts.md.
func Sudoers(user string) string { return sudoers(user, Table) }

// sudoers escapes what sudoers treats specially in arguments (, : = \) and
// its wildcards (* ? [ ]: a * could match extra arguments).
func sudoers(user string, table []Fact) string {
	esc := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `:`, `\:`, `=`, `\=`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	var b strings.Builder
	b.WriteString("# csaudit: read-only audit commands (generated; keep in sync with the csaudit version)\n")
	b.WriteString("Cmnd_Alias CSAUDIT_READ = ")
	i := 0
	for _, f := range table {
		for _, s := range f.Sections {
			for _, c := range s.Sudo {
				if i > 0 {
					b.WriteString(", \\\n    ")
				}
				b.WriteString(esc.Replace(c))
				i++
			}
		}
	}
	b.WriteString("\nDefaults:" + user + " !requiretty\n")
	b.WriteString(user + " ALL=(root) NOPASSWD: CSAUDIT_READ\n")
	return b.String()
}
