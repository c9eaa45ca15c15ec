package pipeline

import (
	"strconv"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/policies"
)

// TestInputMatchesEncoding: the in-memory conversion gives the value, index,
// coverage and selection that ParseInput makes of the snapshot's JSON, on the
// lab (cells decoded from JSON) and on tables stored as the database
// collector stores them (typed columns, datetimes, nulls, absent cells,
// floats, invalid UTF-8, a null row).
func TestInputMatchesEncoding(t *testing.T) {
	lab, err := collectors.DecodeSnapshot(fixtures.Lab())
	if err != nil {
		t.Fatal(err)
	}
	typed := collectors.NewSnapshot(collectors.Tool{Name: "csaudit", Version: "t"}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	rs := collectors.NewRows(
		collectors.Column{Name: "id", Kind: collectors.KindInt},
		collectors.Column{Name: "state", Kind: collectors.KindEnum},
		collectors.Column{Name: "host_id", Kind: collectors.KindInt},
		collectors.Column{Name: "update_time", Kind: collectors.KindTime},
		collectors.Column{Name: "ha_enabled", Kind: collectors.KindBool},
		collectors.Column{Name: "ratio", Kind: collectors.KindFloat},
		collectors.Column{Name: "name", Kind: collectors.KindString},
		collectors.Column{Name: "removed", Kind: collectors.KindTime},
	)
	vms := collectors.Table{}
	for i, st := range []string{"Running", "Stopped", "Running", "Expunging"} {
		r := rs.Add()
		r.SetInt(0, int64(i+1))
		r.Set(1, st)
		if i != 1 {
			r.SetInt(2, int64(7+i%2))
		} else {
			r.SetNull(2)
		}
		r.SetTime(3, 20260102030405+int64(i))
		r.SetBool(4, i%2 == 0)
		r.SetFloat(5, []float64{1.5, 2, 1e-7, 1e21}[i])
		r.Set(6, []string{"vm-a", "bad\xffname", "vm-<c>", "vm-d"}[i])
		if i == 3 {
			r.SetTime(7, 20260101000000)
		} else {
			r.SetNull(7)
		}
		vms[string(rune('1'+i))] = r
	}
	vms["9"] = collectors.Row{}
	typed.DB["vm_instance"] = vms
	typed.DB["host"] = collectors.Table{"7": collectors.RowOf(map[string]any{"id": int64(7), "uuid": "h7", "type": "Routing", "removed": nil})}
	// Index keys from every kind of cell: floats (whole, fractional, past
	// int64, exponent), booleans, odd strings, mixed columns, a removed row.
	vols := collectors.Table{}
	for i, v := range []any{2.0, 1.5, 1e21, 1e-7, true, "p\xffq", int64(-3), nil, uint64(1 << 63), []any{1}} {
		vols[strconv.Itoa(i)] = collectors.RowOf(map[string]any{"id": int64(i), "state": v, "pool_id": v, "instance_id": float64(i) / 2, "removed": nil})
	}
	vols["gone"] = collectors.RowOf(map[string]any{"id": int64(99), "state": "Ready", "removed": "2026-01-01T00:00:00Z"})
	typed.DB["volumes"] = vols
	typed.Hosts["h7"] = &collectors.HostFacts{HostID: "7", Domains: &collectors.DomainsFact{Domains: []collectors.Domain{{Name: "i-2-1-VM", UUID: "U1", State: "running"}}}}
	typed.Coverage["db.vm_instance"] = &collectors.Coverage{Collector: "database", Selected: true, Collected: []string{"vm_instance"}}
	typed.Meta.Collectors["database"] = collectors.CollectorRun{Selected: true, OK: true}

	for name, s := range map[string]*collectors.Snapshot{"lab": lab, "typed": typed} {
		t.Run(name, func(t *testing.T) {
			raw, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			want, err := policies.ParseInput(raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Input(s)
			if err != nil {
				t.Fatal(err)
			}
			if got.Value.Compare(want.Value) != 0 {
				t.Errorf("value differs:\n got  %.2000v\n want %.2000v", got.Value, want.Value)
			}
			if got.Index.Compare(want.Index) != 0 {
				t.Errorf("index differs:\n got  %.2000v\n want %.2000v", got.Index, want.Index)
			}
			if !equalJSON(t, got.Coverage, want.Coverage) || !equalJSON(t, got.Selected, want.Selected) {
				t.Errorf("coverage or selection differ: %v %v / %v %v", got.Coverage, got.Selected, want.Coverage, want.Selected)
			}
		})
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	va, err := ast.InterfaceToValue(a)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := ast.InterfaceToValue(b)
	if err != nil {
		t.Fatal(err)
	}
	return va.Compare(vb) == 0
}
