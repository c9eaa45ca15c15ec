package libvirt

import (
	"fmt"
	"slices"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// RenderVirsh is the inverse of parseVirsh: what the fallback command prints
// for these domains (virsh list --all --uuid --name, the marker, virsh
// domstats --state). The lab simulator answers the fallback with it.
func RenderVirsh(doms []collectors.Domain) []byte {
	var b strings.Builder
	for _, d := range doms {
		fmt.Fprintf(&b, "%s %s\n", d.UUID, d.Name)
	}
	b.WriteString("\n" + domstatsMarker + "\n")
	for _, d := range doms {
		st := slices.Index(stateNames, d.State)
		if st < 0 {
			continue
		}
		reason := max(slices.Index(reasonNames[d.State], d.Reason), 0)
		fmt.Fprintf(&b, "Domain: '%s'\n  state.state=%d\n  state.reason=%d\n\n", d.Name, st, reason)
	}
	return []byte(b.String())
}
