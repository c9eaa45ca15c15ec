package pipeline

import (
	"errors"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The YAML decoder words its errors for Go programmers ("field bogus not found
// in type collectors.Config", "cannot unmarshal !!str `x` into int"). A person
// editing a config or waiver file needs the line and the key or the expected
// kind of value. yaml.v3 is frozen, so its wording is stable enough to rewrite.
var (
	yamlUnknownField = regexp.MustCompile("^line (\\d+): field (.+) not found in type \\S+$")
	yamlWrongType    = regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `.*`)? into (\\S+)$")
	yamlQuoted       = regexp.MustCompile("`[^`]*`|'[^']*'|\"[^\"]*\"")
)

// readableYAML rewrites the YAML decoder's messages inside err (which names the
// file already). Values from the file are never quoted: a misplaced password
// must not end up in an error message.
func readableYAML(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			lines = append(lines, yamlLine(e))
		}
		prefix := strings.TrimSuffix(msg, te.Error())
		return errors.New(prefix + strings.Join(lines, "; "))
	}
	// Syntax and decode errors read "yaml: line 3: did not find expected
	// key", but some quote what they met (an alias name, a value): drop it.
	return errors.New(yamlQuoted.ReplaceAllString(strings.Replace(msg, ": yaml: ", ": ", 1), "a value"))
}

func yamlLine(e string) string {
	if m := yamlUnknownField.FindStringSubmatch(e); m != nil {
		return "line " + m[1] + ": unknown field \"" + m[2] + "\""
	}
	if m := yamlWrongType.FindStringSubmatch(e); m != nil {
		return "line " + m[1] + ": want " + goKind(m[3]) + ", got " + yamlKind(m[2])
	}
	// Other messages quote the offending value in backquotes: drop it.
	return yamlQuoted.ReplaceAllString(e, "a value")
}

// goKind says in YAML terms what a Go type accepts.
func goKind(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "struct"):
		return "a mapping"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	case t == "collectors.Duration":
		return "a duration like 10s"
	case strings.Contains(t, "."):
		return "a mapping" // the config's and waivers' own types are sections
	}
	return "a " + t
}

func yamlKind(tag string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	case "!!null":
		return "nothing"
	}
	return strings.TrimPrefix(tag, "!!")
}
