package policies

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/csaudit/csaudit/report"
)

// Values from the cloud (names, uuids, paths, addresses) reach suggested
// commands only through these functions, one per command language, so a
// hostile VM name cannot turn advice into a different command. Templates (in
// METADATA, or returned by a rule) name the values as placeholders — {uuid},
// {id}, {name}, {type} of the finding's resource, or {key} of the rule's
// "args" — and never hold a cloud value in their text.

// bareWord is what a POSIX shell reads as one literal word without quotes;
// a leading '-' is allowed because templates put values after an option or
// "--", never where a program reads options.
var bareWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,-]+$`)

// shellWord quotes s as one POSIX shell word: bare when it holds only
// characters the shell treats literally, else in single quotes, each '
// written as '\”.
func shellWord(s string) string {
	if bareWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cmkValue quotes the value of a cmk key=value argument. cmk is run from a
// shell (and its own prompt splits words the same way); it splits each word
// at the first '=' and sends the rest as the parameter's value, so the value
// must reach it as part of one word: key= followed by a shell-quoted value.
func cmkValue(s string) string {
	if s == "" {
		return "''"
	}
	return shellWord(s)
}

// sqlString quotes s as a MariaDB/MySQL string literal, escaping what
// mysql_real_escape_string escapes (the server's default sql_mode reads
// backslash escapes, so a backslash is doubled too).
func sqlString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0x1a:
			b.WriteString(`\Z`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

var placeholder = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

// renderCommand fills a template's placeholders from vals, each quoted for the
// command's kind. An unknown placeholder is an error (a rule forgot an arg),
// and so is a cmk placeholder that is not a parameter's value.
func renderCommand(c report.Command, vals map[string]string) (report.Command, error) {
	var quote func(string) string
	switch c.Kind {
	case "shell":
		quote = shellWord
	case "cmk":
		quote = cmkValue
	case "sql":
		quote = sqlString
	default:
		return c, fmt.Errorf("kind %q: want cmk, shell or sql", c.Kind)
	}
	if err := bare(c.Kind, c.Text); err != nil {
		return c, err
	}
	var err error
	text := c.Text
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := vals[name]
		if !ok {
			if err == nil {
				err = fmt.Errorf("command %q uses {%s}, which neither the resource nor the finding's args provide", text, name)
			}
			return m
		}
		return quote(v)
	})
	if err != nil {
		return c, err
	}
	if c.Kind == "cmk" {
		for _, loc := range placeholder.FindAllStringIndex(text, -1) {
			if loc[0] == 0 || text[loc[0]-1] != '=' {
				return c, fmt.Errorf("command %q: a cmk placeholder must be a parameter's value (key={…})", text)
			}
		}
	}
	return report.Command{Kind: c.Kind, Text: out}, nil
}

// values are the placeholders a finding offers: its resource and its args.
func values(res report.Resource, args map[string]any) map[string]string {
	vals := map[string]string{"uuid": res.UUID, "id": res.ID, "name": res.Name, "type": res.Type}
	for k, v := range args {
		vals[k] = scalar(v)
	}
	return vals
}

// fill renders a remediation's commands for one finding.
func fill(r report.Remediation, vals map[string]string) (report.Remediation, error) {
	out := r
	out.Steps = append([]string(nil), r.Steps...)
	out.Commands = nil
	for _, c := range r.Commands {
		rc, err := renderCommand(c, vals)
		if err != nil {
			return out, err
		}
		out.Commands = append(out.Commands, rc)
	}
	return out, nil
}

// bare checks that every placeholder of a template stands outside quotes and
// comments: a value is quoted where it lands, and inside a quoted string (or
// a comment, which a newline ends) that quoting would be undone.
func bare(kind, text string) error {
	locs := placeholder.FindAllStringIndex(text, -1)
	if len(locs) == 0 {
		return nil
	}
	at := map[int]bool{}
	for _, l := range locs {
		at[l[0]] = true
	}
	inside := func(i int) error {
		if at[i] {
			return fmt.Errorf("command %q: a placeholder inside quotes or a comment; leave it bare, its value is quoted for it", text)
		}
		return nil
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		var end int
		switch {
		case kind != "sql" && c == '\\':
			i++
			continue
		case c == '\'' || c == '"' || (kind == "sql" && c == '`'):
			end = closing(kind, text, i)
		case kind == "sql" && (c == '#' || strings.HasPrefix(text[i:], "-- ")),
			kind != "sql" && c == '#' && (i == 0 || strings.IndexByte(" \t\n;&|()", text[i-1]) >= 0):
			end = strings.IndexByte(text[i:], '\n')
			if end < 0 {
				end = len(text)
			} else {
				end += i
			}
		case kind == "sql" && strings.HasPrefix(text[i:], "/*"):
			end = strings.Index(text[i:], "*/")
			if end < 0 {
				end = len(text)
			} else {
				end += i + 1
			}
		default:
			continue
		}
		for j := i; j <= end && j < len(text); j++ {
			if err := inside(j); err != nil {
				return err
			}
		}
		i = end
	}
	return nil
}

// closing finds the quote that ends the string opened at i (backslash
// escapes in shell double quotes and in SQL; a doubled quote in SQL).
func closing(kind, text string, i int) int {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		switch {
		case text[j] == '\\' && q != '\'' || text[j] == '\\' && kind == "sql":
			j++
		case text[j] == q && kind == "sql" && j+1 < len(text) && text[j+1] == q:
			j++
		case text[j] == q:
			return j
		}
	}
	return len(text)
}
