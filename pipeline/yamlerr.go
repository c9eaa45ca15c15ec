package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
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

// yamlFields maps each line of a YAML file to the dotted path of the key it
// holds ("ssh.connect_timeout", "waivers[2].expires"), so an error can name
// the field in words. It also refuses what csaudit never accepts: several
// documents in one file (the rest would be ignored silently) and tagged values
// (!tag), whose meaning depends on the decoder. Neither error quotes a value.
func yamlFields(b []byte) (map[int]string, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return map[int]string{}, nil
		}
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, fmt.Errorf("line %d: a second YAML document: one file holds one document", next.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	fields := map[int]string{}
	var walk func(n *yaml.Node, path string) error
	walk = func(n *yaml.Node, path string) error {
		if n.Style&yaml.TaggedStyle != 0 {
			where := ""
			if path != "" {
				where = " (" + path + ")"
			}
			return fmt.Errorf("line %d%s: tagged values (!tag) are not accepted", n.Line, where)
		}
		if path != "" {
			if _, ok := fields[n.Line]; !ok {
				fields[n.Line] = path
			}
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if err := walk(c, path); err != nil {
					return err
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if k.Style&yaml.TaggedStyle != 0 {
					return fmt.Errorf("line %d: tagged keys (!tag) are not accepted", k.Line)
				}
				fields[k.Line] = p
				if err := walk(v, p); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if err := walk(c, fmt.Sprintf("%s[%d]", path, i+1)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return fields, walk(&doc, "")
}

// readableYAML rewrites the YAML decoder's messages inside err (which names the
// file already), naming the field each line holds. Values from the file are
// never quoted: a misplaced password must not end up in an error message.
func readableYAML(err error, fields map[int]string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			lines = append(lines, yamlLine(e, fields))
		}
		prefix := strings.TrimSuffix(msg, te.Error())
		return errors.New(prefix + strings.Join(lines, "; "))
	}
	// Syntax and decode errors read "yaml: line 3: did not find expected
	// key", but some quote what they met (an alias name, a value): drop it.
	return errors.New(yamlLine(strings.Replace(msg, ": yaml: ", ": ", 1), fields))
}

var yamlLineNo = regexp.MustCompile(`line (\d+): `)

func yamlLine(e string, fields map[int]string) string {
	if m := yamlUnknownField.FindStringSubmatch(e); m != nil {
		return "line " + m[1] + ": unknown field \"" + m[2] + "\""
	}
	name := func(line string) string {
		n, _ := strconv.Atoi(line)
		if f := fields[n]; f != "" {
			return f + ": "
		}
		return ""
	}
	if m := yamlWrongType.FindStringSubmatch(e); m != nil {
		return "line " + m[1] + ": " + name(m[1]) + "want " + goKind(m[3]) + ", got " + yamlKind(m[2])
	}
	// Other messages quote the offending value in backquotes: drop it, and
	// say which field the line holds.
	e = yamlQuoted.ReplaceAllString(e, "the value")
	return yamlLineNo.ReplaceAllStringFunc(e, func(s string) string {
		return s + name(yamlLineNo.FindStringSubmatch(s)[1])
	})
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
