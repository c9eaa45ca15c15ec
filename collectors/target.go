package collectors

import "strings"

// SnapshotKey is the key of the target's entries in Snapshot.Hosts and in
// each fact's Coverage: its uuid, or for an inventory entry without one, its
// name or address.
func (t Target) SnapshotKey() string {
	for _, k := range []string{t.UUID, t.Name, t.Address} {
		if k != "" {
			return k
		}
	}
	return ""
}

// Label names the target in collector errors: its name, else its uuid, else
// its address.
func (t Target) Label() string {
	for _, k := range []string{t.Name, t.UUID, t.Address} {
		if k != "" {
			return k
		}
	}
	return ""
}

// IsKVM says whether the SSH and libvirt facts apply to the target. An
// inventory entry without a hypervisor is taken as KVM: the user listed it to
// be visited.
func (t Target) IsKVM() bool {
	return t.Hypervisor == "" || strings.EqualFold(t.Hypervisor, "KVM")
}
