package hosts

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scriptCommand runs the script from standard input with /bin/sh, whatever
// the user's login shell is (sshd runs the command through it).
const scriptCommand = "exec /bin/sh -s"

// maxScriptOutput caps everything read from one host (base64 included). A
// single section may use its whole limit, but not every section at once:
// 32 hosts in flight at this cap stay under about 1 GiB even when all flood.
const maxScriptOutput = 32 << 20

// prelude starts the one program sent to a KVM host. Each section prints one
// line "@@csaudit NAME BASE64 RC": the output is cut at the section's cap by
// head on the host and base64-encoded, so no output can forge a section
// boundary or bring non-UTF-8 into the framing. Privileged reads go through
// r(): for a non-root user it runs sudo -n only for a command sudoers allows
// (sudo -l), and otherwise returns 126, so "not allowed" never reads as "file
// missing".
const prelude = `exec 4>&1
export LC_ALL=C
s() {
	n=$1; l=$2; shift 2
	printf '@@csaudit %s ' "$n"
	rc=$( { { "$@" 2>/dev/null </dev/null; echo $? >&3; } | head -c "$l" | base64 -w0 >&4; } 3>&1 )
	printf ' %s\n' "$rc"
}
uid=$(id -u)
r() {
	if [ "$uid" = 0 ]; then "$@"; return; fi
	command -v sudo >/dev/null 2>&1 || return 126
	sudo -n -l "$@" >/dev/null 2>&1 || return 126
	sudo -n "$@"
}
test() { if [ "$uid" = 0 ]; then [ "$@" ]; else command test "$@"; fi; }
`

// program is a fact table made ready to run: the script and what decoding
// its output needs.
type program struct {
	facts    []Fact
	script   string
	sections map[string]Section
	// maxLine is the longest framed line any section can produce.
	maxLine int
}

var sectionName = regexp.MustCompile(`^[a-z0-9]+$`)

// compile checks a fact table and builds its script: the prelude, each
// section's shell function, then one s() line per section in table order.
// The host's head keeps one byte more than the cap, so an output over the
// cap is seen as truncated.
func compile(facts []Fact) (*program, error) {
	p := &program{facts: facts, sections: map[string]Section{}}
	var funcs, runs strings.Builder
	seen := map[string]bool{}
	for _, f := range facts {
		if f.Name == "" || seen[f.Name] || f.fill == nil {
			return nil, fmt.Errorf("fact table: fact %q is unnamed, repeated or has no parser", f.Name)
		}
		seen[f.Name] = true
		for _, sec := range f.Sections {
			if !sectionName.MatchString(sec.Name) || sec.Cap <= 0 || sec.Run == "" {
				return nil, fmt.Errorf("fact table: %s: section %q needs a name in [a-z0-9], a cap and a command", f.Name, sec.Name)
			}
			if _, dup := p.sections[sec.Name]; dup {
				return nil, fmt.Errorf("fact table: section %s is repeated", sec.Name)
			}
			p.sections[sec.Name] = sec
			if sec.Func != "" {
				funcs.WriteString(sec.Func + "\n")
			}
			fmt.Fprintf(&runs, "s %s %d %s\n", sec.Name, sec.Cap+1, sec.Run)
			p.maxLine = max(p.maxLine, (sec.Cap+3)*4/3+64)
		}
	}
	if !seen[FactSSH] {
		// The connection's notes (identity files, accepted keys, hosts
		// without SSH facts) are filed under it.
		return nil, errors.New("fact table: no " + FactSSH + " row")
	}
	p.script = prelude + funcs.String() + runs.String()
	return p, nil
}

// standard is the program of Table.
var standard = func() *program {
	p, err := compile(Table)
	if err != nil {
		panic(err)
	}
	return p
}()

// section is one decoded part of the script's output.
type section struct {
	Out       []byte
	RC        int
	Truncated bool
	// NotUTF8: the output is not valid UTF-8. The tools audited print
	// UTF-8 (or ASCII); anything else is not parsed, so no fact carries
	// mangled text.
	NotUTF8 bool
}

var errFraming = errors.New("script output is not in the expected framing")

// split decodes the script's output. Unknown or repeated section names and
// broken framing are errors; the input is never quoted back.
func (p *program) split(b []byte) (map[string]section, error) {
	out := map[string]section{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		f := strings.Fields(string(line))
		if len(f) < 3 || len(f) > 4 || f[0] != "@@csaudit" {
			return nil, errFraming
		}
		name := f[1]
		def, ok := p.sections[name]
		if !ok {
			return nil, fmt.Errorf("%w: unknown section", errFraming)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%w: section %s repeated", errFraming, name)
		}
		var data []byte
		if len(f) == 4 {
			var err error
			if data, err = base64.StdEncoding.DecodeString(f[2]); err != nil {
				return nil, fmt.Errorf("%w: section %s is not base64", errFraming, name)
			}
		}
		rc, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			return nil, fmt.Errorf("%w: section %s has no exit code", errFraming, name)
		}
		sec := section{Out: data, RC: rc}
		if len(data) > def.Cap {
			sec.Out, sec.Truncated = data[:def.Cap], true
		}
		sec.NotUTF8 = !utf8.Valid(sec.Out)
		out[name] = sec
	}
	return out, nil
}

var framePrefix = []byte("@@csaudit ")

// checkFraming validates script output while it streams in, so a host that
// floods or sends garbage is cut off at once.
func (p *program) checkFraming(buf []byte, from int) error {
	start := bytes.LastIndexByte(buf[:from], '\n') + 1
	for {
		line := buf[start:]
		end := bytes.IndexByte(line, '\n')
		if end >= 0 {
			line = line[:end]
		}
		n := min(len(line), len(framePrefix))
		if !bytes.Equal(line[:n], framePrefix[:n]) {
			return errFraming
		}
		limit := p.maxLine
		if len(line) > len(framePrefix) {
			if name, _, ok := bytes.Cut(line[len(framePrefix):], []byte(" ")); ok {
				def, known := p.sections[string(name)]
				if !known {
					return fmt.Errorf("%w: unknown section", errFraming)
				}
				limit = (def.Cap+3)*4/3 + 64
			}
		}
		if len(line) > limit {
			return errors.New("a section's output exceeds its limit")
		}
		if end < 0 {
			return nil
		}
		start += end + 1
	}
}

// Script is the batched script the collector sends to every host on the
// standard input of `exec /bin/sh -s` (benchmarks give other tools the same).
func Script() string { return standard.script }
