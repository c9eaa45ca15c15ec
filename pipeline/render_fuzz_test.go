package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/reporttest"
	"github.com/csaudit/csaudit/report/table"
)

var hostile = []string{
	reporttest.ScriptName, reporttest.ImgName, reporttest.FormulaCSV, reporttest.SVGName, reporttest.Cyrillic,
	reporttest.Greek, reporttest.CJK, reporttest.Bidi, "a\x1b[31mred\x1b[0m\r\x00\x07", "]]></failure><x>", "\"}\n# HELP x",
	"\xff\xfe invalid UTF-8", "-1+1", "@SUM(A1)",
}

// FuzzRender puts fuzzed text in every field of the sample report a cloud
// can fill (resource names, messages, commands, titles, check ids, target
// and collector errors) and renders it in every format but PDF, which has
// its own target (it is 20 times slower than the rest together).
func FuzzRender(f *testing.F) { fuzzRender(f, notPDF) }

// FuzzRenderPDF is FuzzRender for the PDF.
func FuzzRenderPDF(f *testing.F) { fuzzRender(f, onlyPDF) }

func notPDF(name string) bool  { return name != "pdf" }
func onlyPDF(name string) bool { return name == "pdf" }

func fuzzRender(f *testing.F, formats func(string) bool) {
	for i, s := range hostile {
		f.Add(s, hostile[(i+1)%len(hostile)], hostile[(i+2)%len(hostile)])
	}
	f.Fuzz(func(t *testing.T, name, message, text string) {
		r := hostileReport(name, message, text)
		checkRendered(t, r, formats)
	})
}

func hostileReport(name, message, text string) *report.Report {
	r := reporttest.Sample()
	r.Target.Name = name
	for i := range r.Findings {
		fd := &r.Findings[i]
		fd.Resource.Name, fd.Message = name, message
		fd.Remediation.Summary = text
		fd.Remediation.Commands = append(fd.Remediation.Commands, report.Command{Kind: "shell", Text: text})
		fd.Evidence = map[string]any{name: message}
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Title, c.StatusReason = text, message
		c.NotEvaluated = append(c.NotEvaluated, name)
	}
	if n := len(r.Checks); n > 0 {
		r.Checks[n-1].ID = name
	}
	r.CollectorErrors = append(r.CollectorErrors, report.CollectorError{Collector: "hosts", Target: name, Error: message})
	r.Finalize()
	return r
}

// FuzzReportJSON re-renders any saved report file (`csaudit report`):
// a report that decodes renders in every format but PDF (FuzzRenderPDF).
func FuzzReportJSON(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "report", "reporttest", "testdata", "sample.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schema":"csaudit.report/v1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := report.DecodeJSON(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		checkRendered(t, r, notPDF)
	})
}

// baselineHTML counts the script elements and event-handler attributes the
// HTML template itself has: hostile text must add none.
var baselineHTML = func() [2]int {
	var buf bytes.Buffer
	if err := formatWriter("html")(&buf, reporttest.Sample()); err != nil {
		panic(err)
	}
	s, a, err := htmlActive(buf.Bytes())
	if err != nil {
		panic(err)
	}
	return [2]int{s, a}
}()

func formatWriter(name string) func(io.Writer, *report.Report) error {
	if name == "table" {
		return table.Write
	}
	for _, f := range Formats {
		if f.Name == name {
			return f.write
		}
	}
	panic("no format " + name)
}

// checkRendered renders r in every format and checks each output parses as
// its format says and stays inert.
func checkRendered(t *testing.T, r *report.Report, formats func(string) bool) {
	t.Helper()
	for _, f := range Formats {
		if !formats(f.Name) {
			continue
		}
		var buf bytes.Buffer
		if err := formatWriter(f.Name)(&buf, r); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out := buf.Bytes()
		var err error
		switch f.Name {
		case "table":
			err = checkTerminal(out)
		case "json":
			err = checkJSONRoundTrip(out)
		case "html":
			var s, a int
			if s, a, err = htmlActive(out); err == nil && (s != baselineHTML[0] || a != baselineHTML[1]) {
				err = errors.New("script elements or event handlers added by the report's text")
			}
		case "pdf":
			if !bytes.HasPrefix(out, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(out), []byte("%%EOF")) {
				err = errors.New("not a complete PDF")
			}
		case "csv":
			err = checkCSV(out)
		case "junit":
			err = checkXML(out)
		case "sarif":
			var v map[string]any
			err = json.Unmarshal(out, &v)
		case "prom":
			err = checkProm(out)
		default:
			t.Fatalf("format %s has no property here: add one", f.Name)
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", f.Name, err, out)
		}
	}
}

// checkTerminal: nothing but text, newlines and tabs reaches the terminal.
func checkTerminal(b []byte) error {
	for _, r := range string(b) {
		if r == '\n' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || report.IsBidiControl(r) {
			return errors.New("a control or bidi character reaches the terminal")
		}
	}
	return nil
}

// checkJSONRoundTrip: the report decodes, and after one pass (invalid UTF-8
// becomes U+FFFD) encoding is a fixed point.
func checkJSONRoundTrip(b []byte) error {
	r2, err := report.DecodeJSON(b)
	if err != nil {
		return err
	}
	var j2, j3 bytes.Buffer
	if err := report.WriteJSON(&j2, r2); err != nil {
		return err
	}
	r3, err := report.DecodeJSON(j2.Bytes())
	if err != nil {
		return err
	}
	if err := report.WriteJSON(&j3, r3); err != nil {
		return err
	}
	if !bytes.Equal(j2.Bytes(), j3.Bytes()) {
		return errors.New("the report JSON does not read back to itself")
	}
	return nil
}

// htmlActive parses the page and counts script elements and on* attributes.
func htmlActive(b []byte) (scripts, handlers int, err error) {
	z := html.NewTokenizer(bytes.NewReader(b))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return scripts, handlers, nil
			}
			return 0, 0, z.Err()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "script" {
				scripts++
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					handlers++
				}
			}
		}
	}
}

// checkCSV: every record has the header's fields, and no cell starts as a
// formula.
func checkCSV(b []byte) error {
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return err
	}
	for _, rec := range recs {
		for _, c := range rec {
			if t := strings.TrimLeft(c, " "); t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
				return errors.New("a cell reads as a formula")
			}
		}
	}
	return nil
}

// checkXML: a well-formed document of valid characters.
func checkXML(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("not UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

var (
	promLabel = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`
	promLine  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:` + promLabel + `(?:,` + promLabel + `)*)?\})? -?[0-9]+$`)
	promMeta  = regexp.MustCompile(`^# (?:HELP [a-zA-Z_:][a-zA-Z0-9_:]* [^\n]*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (?:gauge|counter))$`)
)

// checkProm: every line is a HELP/TYPE comment or a sample in the text
// exposition format, in UTF-8.
func checkProm(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("not UTF-8")
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if !promLine.MatchString(l) && !promMeta.MatchString(l) {
			return errors.New("not an exposition line: " + l)
		}
	}
	return nil
}
