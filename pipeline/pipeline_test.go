package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/csaudit/csaudit/collectors"
)

// The report names the cloud by the config's name, else by its live zones,
// else by the database it was read from.
func TestTargetName(t *testing.T) {
	s := collectors.NewSnapshot(collectors.Tool{}, time.Time{})
	s.Meta.Database = &collectors.DBIdentity{Hostname: "db1", Port: 3306, Schema: "cloud"}
	if got := Target(s).Name; got != "db1:3306/cloud" {
		t.Errorf("no zones: name %q", got)
	}
	s.DB["data_center"] = collectors.Table{
		"2": collectors.RowOf(map[string]any{"name": "zone-b"}),
		"1": collectors.RowOf(map[string]any{"name": "zone-a"}),
		"3": collectors.RowOf(map[string]any{"name": "old", "removed": "2025-01-01 00:00:00"}),
	}
	if got := Target(s).Name; got != "zone-a, zone-b" {
		t.Errorf("zones: name %q", got)
	}
	s.Meta.Name = "prod-eu"
	if got := Target(s).Name; got != "prod-eu" {
		t.Errorf("config name: %q", got)
	}
}

// target.vms counts user VMs; routers and system VMs are system_vms.
func TestTargetVMs(t *testing.T) {
	s := collectors.NewSnapshot(collectors.Tool{}, time.Time{})
	s.DB["vm_instance"] = collectors.Table{
		"1": collectors.RowOf(map[string]any{"type": "User"}),
		"2": collectors.RowOf(map[string]any{"type": "User"}),
		"3": collectors.RowOf(map[string]any{"type": "User", "removed": "2025-01-01 00:00:00"}),
		"4": collectors.RowOf(map[string]any{"type": "DomainRouter"}),
		"5": collectors.RowOf(map[string]any{"type": "SecondaryStorageVm"}),
		"6": collectors.RowOf(map[string]any{"type": "ConsoleProxy"}),
	}
	if got := Target(s); got.VMs != 2 || got.SystemVMs != 3 {
		t.Errorf("vms %d, system_vms %d; want 2 and 3", got.VMs, got.SystemVMs)
	}
}

// A YAML message the rewriter does not know still never quotes the value.
func TestYAMLMessagesDropValues(t *testing.T) {
	for _, e := range []string{
		"line 5: cannot decode !!str `hunter2` as a !!timestamp",
		"line 2: cannot unmarshal !!str `hunter2` into int",
	} {
		if got := yamlLine(e); strings.Contains(got, "hunter2") || !strings.HasPrefix(got, "line ") {
			t.Errorf("yamlLine(%q) = %q", e, got)
		}
	}
}
