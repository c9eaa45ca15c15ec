package collectors

import (
	"reflect"
	"testing"
)

func TestTargetKeyLabelKVM(t *testing.T) {
	for _, tc := range []struct {
		t          Target
		key, label string
		kvm        bool
	}{
		{Target{UUID: "u", Name: "n", Address: "a", Hypervisor: "KVM"}, "u", "n", true},
		{Target{Name: "n", Address: "a", Hypervisor: "kvm"}, "n", "n", true},
		{Target{UUID: "u", Address: "a"}, "u", "u", true},
		{Target{Address: "a", Hypervisor: "XenServer"}, "a", "a", false},
	} {
		if got := tc.t.SnapshotKey(); got != tc.key {
			t.Errorf("%+v: key %q, want %q", tc.t, got, tc.key)
		}
		if got := tc.t.Label(); got != tc.label {
			t.Errorf("%+v: label %q, want %q", tc.t, got, tc.label)
		}
		if got := tc.t.IsKVM(); got != tc.kvm {
			t.Errorf("%+v: kvm %v", tc.t, got)
		}
	}
}

// mergeHost takes every fact the first part lacks from the second, whatever
// its field, and keeps the facts and identity the first part has.
func TestMergeHostEveryFact(t *testing.T) {
	src, dst := &HostFacts{Name: "src"}, &HostFacts{Name: "dst", Agent: &AgentFact{State: "active"}}
	sv := reflect.ValueOf(src).Elem()
	facts := 0
	for i := range sv.NumField() {
		if f := sv.Field(i); f.Kind() == reflect.Pointer {
			f.Set(reflect.New(f.Type().Elem()))
			facts++
		}
	}
	if facts < 13 {
		t.Fatalf("only %d fact fields found", facts)
	}
	mergeHost(dst, src)
	dv := reflect.ValueOf(dst).Elem()
	for i := range dv.NumField() {
		if f := dv.Field(i); f.Kind() == reflect.Pointer && f.IsNil() {
			t.Errorf("%s not merged", dv.Type().Field(i).Name)
		}
	}
	if dst.Name != "dst" || dst.Agent.State != "active" {
		t.Errorf("dst's own values replaced: %q %+v", dst.Name, dst.Agent)
	}
}
