package readiness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// Candidate is a host or cluster a name could mean.
type Candidate struct {
	Name    string
	UUID    string
	Cluster string // for hosts: the cluster's name
}

// NameError says a --host or --cluster argument names no object, or several;
// Candidates lists what it could mean (for an unknown name, those whose name
// contains it).
type NameError struct {
	Kind       string // host or cluster
	Name       string
	Ambiguous  bool
	Candidates []Candidate
}

func (e *NameError) Error() string {
	var b strings.Builder
	if e.Ambiguous {
		fmt.Fprintf(&b, "%s %q is ambiguous; name one by uuid:", e.Kind, e.Name)
	} else {
		fmt.Fprintf(&b, "no %s named %q (or with that uuid)", e.Kind, e.Name)
		if len(e.Candidates) > 0 {
			b.WriteString("; similar:")
		}
	}
	for _, c := range e.Candidates {
		fmt.Fprintf(&b, "\n  %s  %s", c.UUID, c.Name)
		if c.Cluster != "" {
			fmt.Fprintf(&b, " (cluster %s)", c.Cluster)
		}
	}
	return b.String()
}

// Target is what to judge: one host, or every host of a cluster.
type Target struct {
	Cluster *cluster
	HostID  string // empty: drain the whole cluster
}

// maxCandidates bounds the list an unknown name prints.
const maxCandidates = 10

// Resolve finds the host (by uuid or name, within the cluster when one is
// given) or the cluster to judge. At least one of host and cluster is needed.
func Resolve(s *collectors.Snapshot, hostArg, clusterArg string) (Target, error) {
	if hostArg == "" && clusterArg == "" {
		return Target{}, fmt.Errorf("name a host (--host) or a cluster (--cluster)")
	}
	for _, t := range []string{"host", "cluster"} {
		if why := usable(s, t); why != "" {
			return Target{}, fmt.Errorf("snapshot cannot be judged: %s (readiness needs the database collector)", why)
		}
	}
	clusters := map[string]*cluster{}
	for id, r := range s.DB["cluster"] {
		if r.Get("removed") != nil {
			continue
		}
		clusters[id] = &cluster{id: id, uuid: r.Text("uuid"), name: r.Text("name"), zone: idText(r.Get("data_center_id")), pod: idText(r.Get("pod_id"))}
	}
	var cl *cluster
	if clusterArg != "" {
		var cands []Candidate
		var found []*cluster
		for _, c := range byID(clusters, func(c *cluster) string { return c.id }) {
			cand := Candidate{Name: c.name, UUID: c.uuid}
			switch {
			case c.uuid == clusterArg || c.name == clusterArg:
				found = append(found, c)
				cands = append(cands, cand)
			}
		}
		if len(found) != 1 {
			return Target{}, nameError("cluster", clusterArg, cands, clustersLike(clusters, clusterArg))
		}
		cl = found[0]
	}
	if hostArg == "" {
		return Target{Cluster: cl}, nil
	}
	type hit struct {
		id string
		c  Candidate
		cl *cluster
	}
	var hits, like []hit
	for id, r := range s.DB["host"] {
		if r.Get("removed") != nil || r.Text("type") != "Routing" {
			continue
		}
		hc := clusters[idText(r.Get("cluster_id"))]
		if cl != nil && hc != cl {
			continue
		}
		h := hit{id: id, c: Candidate{Name: r.Text("name"), UUID: r.Text("uuid")}, cl: hc}
		if hc != nil {
			h.c.Cluster = hc.name
		}
		switch {
		case h.c.UUID == hostArg || h.c.Name == hostArg:
			hits = append(hits, h)
		case strings.Contains(strings.ToLower(h.c.Name), strings.ToLower(hostArg)):
			like = append(like, h)
		}
	}
	order := func(a, b hit) int { return compareIDs(a.id, b.id) }
	slices.SortFunc(hits, order)
	slices.SortFunc(like, order)
	cands := func(hs []hit) []Candidate {
		out := []Candidate{}
		for _, h := range hs {
			out = append(out, h.c)
		}
		return out
	}
	if len(hits) != 1 {
		return Target{}, nameError("host", hostArg, cands(hits), cands(like))
	}
	if hits[0].cl == nil {
		return Target{}, fmt.Errorf("host %s (%s) belongs to no cluster in the snapshot", hits[0].c.Name, hits[0].c.UUID)
	}
	return Target{Cluster: hits[0].cl, HostID: hits[0].id}, nil
}

func nameError(kind, name string, exact, like []Candidate) *NameError {
	if len(exact) > 1 {
		return &NameError{Kind: kind, Name: name, Ambiguous: true, Candidates: exact}
	}
	if len(like) > maxCandidates {
		like = like[:maxCandidates]
	}
	return &NameError{Kind: kind, Name: name, Candidates: like}
}

func clustersLike(m map[string]*cluster, name string) []Candidate {
	var out []Candidate
	for _, c := range byID(m, func(c *cluster) string { return c.id }) {
		if strings.Contains(strings.ToLower(c.name), strings.ToLower(name)) && c.uuid != name && c.name != name {
			out = append(out, Candidate{Name: c.name, UUID: c.uuid})
		}
	}
	return out
}
