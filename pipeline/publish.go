package pipeline

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Publish is what an audit does with its result: the findings dated from the
// history, the run signed, every file written all or nothing, this run added
// to the history, and the gate's rule that an incomplete audit cannot gate.
type Publish struct {
	Output Output
	// History is the --history directory ("" for none).
	History string
	// Signer signs the run (nil: unsigned).
	Signer ssh.Signer
	Gate   Gate
}

// Prepare checks what Run will need before anything is collected: the
// history directory.
func (p Publish) Prepare() error {
	if p.History == "" {
		return nil
	}
	return PrepareHistory(p.History)
}

// Run publishes res. The report is written even when the audit turns out
// too incomplete to gate, which is the error then.
func (p Publish) Run(env Env, res *Result) error {
	r := res.Report
	if p.History != "" {
		if err := ApplyHistory(p.History, r); err != nil {
			return err
		}
	}
	o := p.Output
	if p.Signer != nil {
		o.Seal = Seal(env, r, res.Engine, Signing{Signer: p.Signer, Waivers: res.WaiverFile})
	}
	if err := WriteEvidence(env, r, o, res.Evidence()); err != nil {
		return err
	}
	if p.History != "" {
		if err := AppendHistory(p.History, r); err != nil {
			return err
		}
	}
	if inc := Incomplete(res.Snapshot); p.Gate.Gating() && !p.Gate.AllowPartial && len(inc) > 0 {
		return fmt.Errorf("the audit is incomplete, so it cannot gate: %s (--allow-partial gates on what was collected)", strings.Join(inc, "; "))
	}
	return nil
}
