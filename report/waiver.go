package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Waiver accepts a finding of one check on matching resources until it expires.
type Waiver struct {
	Check         string `yaml:"check" json:"check"`
	Resource      string `yaml:"resource" json:"resource"`
	Justification string `yaml:"justification" json:"justification"`
	Approver      string `yaml:"approver" json:"approver"`
	Expires       string `yaml:"expires" json:"expires"`

	expires time.Time
}

// MaxWaiverBytes caps a waiver file.
const MaxWaiverBytes = 4 << 20

// LoadWaivers reads a waiver file. Any problem is an error naming the file and
// the entry, so the audit stops before collecting anything.
func LoadWaivers(file string) ([]Waiver, error) {
	f, err := openRegular(file)
	if err != nil {
		return nil, fmt.Errorf("waivers %s: %w", file, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxWaiverBytes+1))
	if err != nil {
		return nil, fmt.Errorf("waivers %s: %w", file, err)
	}
	if len(b) > MaxWaiverBytes {
		return nil, fmt.Errorf("waivers %s: larger than %d bytes", file, MaxWaiverBytes)
	}
	ws, err := ParseWaivers(b)
	if err != nil {
		return nil, fmt.Errorf("waivers %s: %w", file, err)
	}
	return ws, nil
}

// ParseWaivers decodes `waivers: [...]` strictly and validates every entry.
func ParseWaivers(b []byte) ([]Waiver, error) {
	var doc struct {
		Waivers []Waiver `yaml:"waivers"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for i := range doc.Waivers {
		w := &doc.Waivers[i]
		where := fmt.Sprintf("waiver %d", i+1)
		if w.Check != "" {
			where += " (" + w.Check + ")"
		}
		for _, req := range []struct{ name, v string }{
			{"check", w.Check}, {"resource", w.Resource}, {"justification", w.Justification},
			{"approver", w.Approver}, {"expires", w.Expires},
		} {
			if strings.TrimSpace(req.v) == "" {
				return nil, fmt.Errorf("%s: %s is required", where, req.name)
			}
		}
		if _, err := path.Match(w.Resource, ""); err != nil {
			return nil, fmt.Errorf("%s: resource %q is not a valid glob", where, w.Resource)
		}
		t, err := parseExpiry(w.Expires)
		if err != nil {
			return nil, fmt.Errorf("%s: expires %q: want a date (2027-01-31) or RFC 3339 time", where, w.Expires)
		}
		w.expires = t
	}
	return doc.Waivers, nil
}

func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		// A date waives through the end of that day (UTC).
		return t.Add(24*time.Hour - time.Nanosecond), nil
	}
	return time.Parse(time.RFC3339, s)
}

func (w *Waiver) matches(f *Finding) bool {
	if w.Check != f.CheckID {
		return false
	}
	for _, v := range []string{f.Resource.UUID, f.Resource.Name, f.Resource.ID} {
		if v == "" {
			continue
		}
		if ok, _ := path.Match(w.Resource, v); ok || w.Resource == v {
			return true
		}
	}
	return false
}

// ApplyWaivers marks covered findings waived as of now, lists expired and unused
// waivers, and turns a failed check whose findings are all waived into pass (or
// error when a required fact was missing or failed for some of its resources:
// its status reason, which names those facts, stays). Call Finalize afterwards.
func (r *Report) ApplyWaivers(ws []Waiver, now time.Time) {
	r.Waivers = WaiverSummary{Expired: []Waiver{}, Unused: []Waiver{}}
	for i := range ws {
		w := &ws[i]
		if w.expires.IsZero() {
			if t, err := parseExpiry(w.Expires); err == nil {
				w.expires = t
			}
		}
		expired := !now.Before(w.expires)
		used := false
		for j := range r.Findings {
			f := &r.Findings[j]
			if !w.matches(f) {
				continue
			}
			used = true
			if !expired && f.Waiver == nil {
				f.Status = Waived
				f.Waiver = &AppliedWaiver{Justification: w.Justification, Approver: w.Approver, Expires: w.Expires}
			}
		}
		switch {
		case expired:
			r.Waivers.Expired = append(r.Waivers.Expired, *w)
		case !used:
			r.Waivers.Unused = append(r.Waivers.Unused, *w)
		}
	}
	open := map[string]bool{}
	for _, f := range r.Findings {
		if f.Status != Waived {
			open[f.CheckID] = true
		}
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.Status != Fail || open[c.ID] {
			continue
		}
		// A fail check's StatusReason names the required facts that were
		// missing or partial: with its findings waived, what is left is
		// unevaluated data, which is never a pass.
		if len(c.NotEvaluated) > 0 || c.StatusReason != "" {
			c.Status = Error
		} else {
			c.Status = Pass
		}
	}
}
