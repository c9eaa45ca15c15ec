package collectors

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// zoneColumns name a row's zone in CloudStack's tables.
var zoneColumns = []string{"data_center_id", "zone_id"}

// FilterZones restricts a snapshot's database tables to the zones named (by
// name or uuid): data_center keeps those zones' rows, and every table whose
// rows name a zone (data_center_id, zone_id) keeps the rows of those zones
// and the rows that name none. Hosts, and so every stage 2 collector, follow
// from the filtered host table. It records the zones' uuids in meta.zones;
// an unknown or ambiguous name is an error that lists the zones there are.
func FilterZones(s *Snapshot, zones []string) error {
	dcs := s.DB["data_center"]
	if dcs == nil {
		return fmt.Errorf("--zone needs the database collector: no zones were read")
	}
	keep := map[string]bool{}
	var uuids []string
	for _, z := range zones {
		var hits []string
		for id, row := range dcs {
			if row.Get("removed") != nil {
				continue
			}
			if row.Text("uuid") == z || row.Text("name") == z {
				hits = append(hits, id)
			}
		}
		switch len(hits) {
		case 0:
			return fmt.Errorf("--zone %q: no such zone (zones: %s)", z, zoneList(dcs))
		case 1:
		default:
			return fmt.Errorf("--zone %q: %d zones have that name; give the uuid (zones: %s)", z, len(hits), zoneList(dcs))
		}
		if !keep[hits[0]] {
			keep[hits[0]] = true
			uuids = append(uuids, dcs[hits[0]].Text("uuid"))
		}
	}
	for name, t := range s.DB {
		for id, row := range t {
			if name == "data_center" {
				if !keep[id] {
					delete(t, id)
				}
				continue
			}
			for _, col := range zoneColumns {
				if v, ok := row.Lookup(col); ok && v != nil && !keep[Text(v)] {
					delete(t, id)
					break
				}
			}
		}
	}
	sort.Strings(uuids)
	s.Meta.Zones = uuids
	return nil
}

func zoneList(dcs Table) string {
	var out []string
	for _, row := range dcs {
		if row.Get("removed") == nil {
			out = append(out, row.Text("name")+" ("+row.Text("uuid")+")")
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
