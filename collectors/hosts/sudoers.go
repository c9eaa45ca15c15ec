package hosts

import (
	"strings"
)

// sudoCommands are exactly the commands the script runs through r() when the
// SSH user is not root, with their arguments.
func sudoCommands() []string {
	cmds := []string{
		"/usr/sbin/iptables-save",
		"/usr/sbin/ip6tables-save",
		"/usr/sbin/nft -j list ruleset",
		"/usr/bin/grep -E " + keyPattern(propertyKeys) + " " + agentProperties,
	}
	for _, f := range []string{agentProperties, agentKeystore, cloudSSHKey, libvirtdConf} {
		cmds = append(cmds, "/usr/bin/test -e "+f, "/usr/bin/stat -c %a %U %G %n "+f)
	}
	return cmds
}

// Sudoers renders a sudoers drop-in that allows the audit user exactly the
// script's privileged commands and nothing else (the recommended non-root
// setup; see docs/hosts.md). Sudoers treats , : = and \ in arguments specially
// and * ? [ ] as wildcards (a * could match extra arguments), so all are
// escaped.
func Sudoers(user string) string {
	esc := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `:`, `\:`, `=`, `\=`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	var b strings.Builder
	b.WriteString("# csaudit: read-only audit commands (generated; keep in sync with the csaudit version)\n")
	b.WriteString("Cmnd_Alias CSAUDIT_READ = ")
	for i, c := range sudoCommands() {
		if i > 0 {
			b.WriteString(", \\\n    ")
		}
		b.WriteString(esc.Replace(c))
	}
	b.WriteString("\nDefaults:" + user + " !requiretty\n")
	b.WriteString(user + " ALL=(root) NOPASSWD: CSAUDIT_READ\n")
	return b.String()
}
