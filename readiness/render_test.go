package readiness

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csaudit/csaudit/report"
	"github.com/csaudit/csaudit/report/html"
	"github.com/csaudit/csaudit/report/table"
)

// TestRendered: the plan reaches the terminal table (one row per move) and
// the HTML (a table per destination host), and the JSON carries it whole.
func TestRendered(t *testing.T) {
	s := collect(t, cloudDB(t, "ready"), "ready")
	res := judge(t, s, "", "c24-drain", Options{})
	r := &report.Report{Schema: report.SchemaVersion, Tool: report.Tool{Name: "csaudit", Version: "test"}}
	res.Apply(r)

	var tb bytes.Buffer
	if err := table.Write(&tb, r); err != nil {
		t.Fatal(err)
	}
	out := tb.String()
	for _, want := range []string{"Readiness for maintenance of cluster c24-drain: NO-GO", "The drain would stop at host c24-h3.", "CSA-READY-008"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(strings.ReplaceAll(l, "│", " ")); len(f) >= 3 && strings.HasPrefix(f[0], "c24-h") {
			rows = append(rows, strings.Join(f, " "))
		}
	}
	want := []string{"c24-h1 go vm-2401 c24-h2 2000 4096", "c24-h1 go vm-2402 c24-h2 2000 4096", "c24-h2 go vm-2401 c24-h1 2000 4096",
		"c24-h2 go vm-2402 c24-h1 2000 4096", "c24-h2 go vm-2403 c24-h1 2000 4096", "c24-h3 no-go - -", "c24-h4 not simulated - -"}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("plan rows (-want +got):\n%s", diff)
	}

	var hb bytes.Buffer
	if err := html.Write(&hb, r); err != nil {
		t.Fatal(err)
	}
	page := hb.String()
	for _, want := range []string{`<section id="readiness">`, "<h2>Readiness: no-go</h2>", "<h4>To host c24-h1</h4>", "<h4>To host c24-h2</h4>",
		"<tr><td>vm-2403</td><td>c24-h2</td><td>2000</td><td>4096</td><td>0</td></tr>", "The drain would stop at host <strong>c24-h3</strong>"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Count(page, "<h4>To host ") != 2 {
		t.Errorf("want one table per destination host, got %d", strings.Count(page, "<h4>To host "))
	}

	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Readiness == nil || back.Readiness.StoppedAt.Name != "c24-h3" || len(back.Readiness.Hosts) != 4 || len(back.Readiness.Hosts[1].Moves) != 3 {
		t.Fatalf("readiness after JSON: %+v", back.Readiness)
	}
}
