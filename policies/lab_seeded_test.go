package policies

import (
	"context"
	"testing"

	"github.com/csaudit/csaudit/fixtures"
	"github.com/csaudit/csaudit/report"
)

// labFaulty names the lab resources fixtures/handlab seeds a problem on. Every
// other resource is healthy and must not get a finding of medium or above.
var labFaulty = map[string]bool{
	"i-2-21-VM": true, "i-2-22-VM": true, "s-61-VM": true, // stuck VMs
	"i-2-24-VM": true, "i-2-25-VM": true, "i-2-26-VM": true, // HA on local storage, HA work on a dead MS, moved out of band
	"kvm-a-03": true, "узел-kvm-07": true, "kvm-b-08": true, "kvm-b-09": true, // Alert, id_rsa.cloud, maintenance, agent failed
	"xen-c": true, "zone-eu-1": true, "r-6-VM": true, "StartVMCmd": true,
	"integration.api.port": true, "ms-1": true, "cloud": true, // ms-2 is Down: one management server left
}

// TestLabHealthyResourcesStayQuiet: no check files a finding of medium or above
// on a lab resource that was not seeded with a problem.
func TestLabHealthyResourcesStayQuiet(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	in, err := ParseInput(fixtures.Lab())
	if err != nil {
		t.Fatal(err)
	}
	_, findings, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if f.Severity.Rank() <= report.Medium.Rank() && !labFaulty[f.Resource.Name] {
			t.Errorf("%s (%s) on healthy %s %s: %s", f.CheckID, f.Severity, f.Resource.Type, f.Resource.Name, f.Message)
		}
	}
}
