package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/pipeline/seal"
	"github.com/csaudit/csaudit/policies"
	"github.com/csaudit/csaudit/policies/advisory"
	"github.com/csaudit/csaudit/report"
)

// ReportFile is the JSON report a signed run always writes: verify re-derives
// its findings.
const ReportFile = "csaudit-report.json"

// Signing is what a signed run needs besides the report.
type Signing struct {
	Signer ssh.Signer
	// Waivers is the waiver file's content (nil without one): it is copied
	// into the directory so verify can apply it again.
	Waivers []byte
}

// PolicyBundle is the digest of every Rego file the engine was loaded from
// and of the advisory data the checks read (data.csaudit.advisories), under
// names that do not depend on where a replacement file lived.
func PolicyBundle(eng *policies.Engine) seal.Bundle {
	var fs []seal.File
	for _, s := range eng.Sources() {
		fs = append(fs, seal.File{Name: s.Name, SHA256: s.SHA256})
	}
	if adv := eng.Advisories(); adv != nil {
		fs = append(fs, seal.File{Name: "advisories/advisories.tsv", SHA256: adv.SHA256},
			seal.File{Name: "advisories/known_bugs.tsv", SHA256: adv.BugsSHA256})
	}
	return seal.NewBundle(fs)
}

// Seal returns the Output.Seal hook of a signed run: it copies the waiver
// file in, lists every file's digest (as written to disk) in the manifest and
// signs the manifest.
func Seal(env Env, r *report.Report, eng *policies.Engine, sg Signing) func(map[string][]byte) error {
	return func(files map[string][]byte) error {
		if _, ok := files[ReportFile]; !ok {
			return errors.New("a signed run needs the json report")
		}
		var waivers *seal.Digest
		if sg.Waivers != nil {
			files[seal.WaiversFile] = sg.Waivers
			waivers = &seal.Digest{File: seal.WaiversFile, SHA256: seal.Sum(sg.Waivers)}
		}
		onDisk := map[string][]byte{}
		for name, b := range files {
			onDisk[name] = collectors.OnDisk(name, b)
		}
		m := seal.Build(seal.Tool{Name: "csaudit", Version: env.Version}, r.GeneratedAt, onDisk,
			seal.Digest{File: r.Snapshot.File, SHA256: r.Snapshot.SHA256}, PolicyBundle(eng), waivers)
		mb, err := m.Encode()
		if err != nil {
			return err
		}
		sig, err := seal.Sign(mb, sg.Signer)
		if err != nil {
			return err
		}
		files[seal.ManifestFile] = mb
		files[seal.SignatureFile] = sig
		return nil
	}
}

// VerifyOptions are csaudit verify's flags.
type VerifyOptions struct {
	// AllowedSigners is an OpenSSH allowed-signers file; "" checks the
	// signature with the key it carries only (the fingerprint is reported).
	AllowedSigners string
	Identity       string
	// PolicyDirs supply the run's custom policies, Advisories its
	// replacement advisory data ("" for the embedded).
	PolicyDirs []string
	Advisories string
}

// Verification is what verify found: no Problems means verified.
type Verification struct {
	Signer   seal.Signer
	Manifest seal.Manifest
	// Problems each name the file or finding that does not match.
	Problems []string
	// Notes are facts the reader should weigh (an unchecked key, another
	// csaudit version).
	Notes    []string
	Findings int
}

func (v *Verification) problem(format string, args ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
}

// Verify checks a signed run's directory: the signature, every file against
// the manifest, the snapshot against the report, and the report's findings
// against a fresh evaluation of the snapshot with the recorded policy bundle,
// parameters and waivers, on the report's clock. An error means the input
// could not be read (exit 2); mismatches are Problems.
func Verify(ctx context.Context, env Env, dir string, o VerifyOptions) (*Verification, error) {
	if o.Identity != "" && o.AllowedSigners == "" {
		return nil, errors.New("--identity needs --allowed-signers")
	}
	var allowed []seal.AllowedSigner
	if o.AllowedSigners != "" {
		var err error
		if allowed, err = seal.LoadAllowedSigners(o.AllowedSigners); err != nil {
			return nil, err
		}
	}
	// The bytes as stored (a .gz file's digest is of its compressed form);
	// a FIFO or device is refused rather than waited on.
	read := func(name string, max int64) ([]byte, error) {
		return collectors.ReadFileCapped(filepath.Join(dir, name), max)
	}
	mb, err := read(seal.ManifestFile, seal.MaxManifestBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a signed run: %w", dir, err)
	}
	sig, err := read(seal.SignatureFile, seal.MaxManifestBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a signed run: %w", dir, err)
	}
	v := &Verification{}
	v.Signer, err = seal.CheckSignature(mb, sig, allowed, o.Identity, env.now())
	if err != nil {
		v.problem("%v", err)
	} else if allowed == nil {
		v.Notes = append(v.Notes, fmt.Sprintf("signed by %s %s; without --allowed-signers nothing says whose key that is", v.Signer.KeyType, v.Signer.Fingerprint))
	}
	m, err := seal.DecodeManifest(mb)
	if err != nil {
		if len(v.Problems) > 0 {
			v.problem("%s: %v", seal.ManifestFile, err)
			return v, nil
		}
		return nil, fmt.Errorf("%s: %w", seal.ManifestFile, err)
	}
	v.Manifest = m

	// Every file the manifest lists, and nothing else.
	content := map[string][]byte{}
	listed := map[string]bool{seal.ManifestFile: true, seal.SignatureFile: true}
	for _, f := range m.Files {
		listed[f.Name] = true
		if f.Name != filepath.Base(f.Name) || f.Name == "." || f.Name == ".." {
			v.problem("%s: lists %q, which is not a file name", seal.ManifestFile, f.Name)
			continue
		}
		b, err := read(f.Name, report.MaxReportBytes)
		switch {
		case err != nil:
			v.problem("%s: listed in the manifest but unreadable: %v", f.Name, err)
		case seal.Sum(b) != f.SHA256:
			v.problem("%s: SHA-256 %s differs from the manifest's %s", f.Name, seal.Sum(b), f.SHA256)
		}
		content[f.Name] = b
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if !listed[e.Name()] {
				v.problem("%s: in the directory but not in the manifest (not part of the signed run)", e.Name())
			}
		}
	}

	rb, ok := content[ReportFile]
	if !ok {
		v.problem("%s: the manifest lists no %s", seal.ManifestFile, ReportFile)
		return v, nil
	}
	r, err := report.DecodeJSON(rb)
	if err != nil {
		v.problem("%s: %v", ReportFile, err)
		return v, nil
	}
	v.Findings = len(r.Findings)
	if r.Tool.Version != env.Version {
		v.Notes = append(v.Notes, fmt.Sprintf("the run was made by csaudit %s and re-evaluated by %s", r.Tool.Version, env.Version))
	}

	snapFile := m.Snapshot.File
	if _, ok := content[snapFile]; !ok || snapFile == "" {
		v.problem("%s: the manifest lists no snapshot file", seal.ManifestFile)
		return v, nil
	}
	snap, raw, err := collectors.LoadSnapshot(filepath.Join(dir, snapFile))
	if err != nil {
		v.problem("%v", err)
		return v, nil
	}
	sum := collectors.SHA256(raw)
	if sum != m.Snapshot.SHA256 {
		v.problem("%s: snapshot digest %s differs from the manifest's %s", snapFile, sum, m.Snapshot.SHA256)
	}
	if sum != r.Snapshot.SHA256 {
		v.problem("%s: snapshot digest %s differs from the report's snapshot.sha256 %s", snapFile, sum, r.Snapshot.SHA256)
	}

	var ws []report.Waiver
	if m.Waivers != nil {
		b, ok := content[m.Waivers.File]
		if !ok {
			v.problem("%s: the waiver file %s is not listed", seal.ManifestFile, m.Waivers.File)
			return v, nil
		}
		if seal.Sum(b) != m.Waivers.SHA256 {
			v.problem("%s: SHA-256 differs from the manifest's waivers digest", m.Waivers.File)
		}
		if ws, err = report.ParseWaivers(b); err != nil {
			v.problem("%s: %v", m.Waivers.File, readableYAML(err, nil))
			return v, nil
		}
	}

	var adv *advisory.Data
	if o.Advisories != "" {
		if adv, err = advisory.Load(o.Advisories); err != nil {
			return nil, err
		}
	}
	eng, err := policies.New(ctx, policies.Options{Dirs: o.PolicyDirs, Params: r.PolicyParams, Advisories: adv})
	if err != nil {
		return nil, fmt.Errorf("load policies to re-evaluate: %w", err)
	}
	if b := PolicyBundle(eng); b.SHA256 != m.Policy.SHA256 {
		v.problem("policy bundle: this csaudit's policies and advisory data (with --policy-dir %v, --advisories %q) differ from the run's, so its findings are not re-derived: %v; verify with the run's csaudit version, --policy-dir and --advisories", o.PolicyDirs, o.Advisories, m.Policy.Diff(b))
		return v, nil
	}
	if len(v.Problems) > 0 {
		// Findings re-derived from evidence already shown to be altered
		// would only repeat the problem.
		return v, nil
	}
	at := env
	at.Now = func() time.Time { return r.GeneratedAt }
	again, err := Evaluate(ctx, at, eng, snap, raw, ws)
	if err != nil {
		return nil, fmt.Errorf("re-evaluate %s: %w", snapFile, err)
	}
	v.Problems = append(v.Problems, CompareFindings(r, again)...)
	return v, nil
}

// CompareFindings lists every difference between a report's findings and
// check statuses and those re-derived: ids, severities, statuses.
func CompareFindings(recorded, derived *report.Report) []string {
	var out []string
	label := func(f report.Finding) string {
		return fmt.Sprintf("finding %s (%s on %s %s)", f.ID, f.CheckID, f.Resource.Type, f.Resource.Label())
	}
	got := map[string]report.Finding{}
	for _, f := range derived.Findings {
		got[f.ID] = f
	}
	seen := map[string]bool{}
	for _, f := range recorded.Findings {
		seen[f.ID] = true
		d, ok := got[f.ID]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: %s is in the report but does not follow from the snapshot", ReportFile, label(f)))
		case d.Severity != f.Severity:
			out = append(out, fmt.Sprintf("%s: %s has severity %s in the report, %s re-derived", ReportFile, label(f), f.Severity, d.Severity))
		case d.Status != f.Status:
			out = append(out, fmt.Sprintf("%s: %s has status %s in the report, %s re-derived", ReportFile, label(f), f.Status, d.Status))
		case d.CheckID != f.CheckID:
			out = append(out, fmt.Sprintf("%s: %s names check %s, re-derived %s", ReportFile, label(f), f.CheckID, d.CheckID))
		}
	}
	for _, f := range derived.Findings {
		if !seen[f.ID] {
			out = append(out, fmt.Sprintf("%s: %s follows from the snapshot but is missing from the report", ReportFile, label(f)))
		}
	}
	checks := map[string]report.Status{}
	for _, c := range derived.Checks {
		checks[c.ID] = c.Status
	}
	for _, c := range recorded.Checks {
		if s, ok := checks[c.ID]; !ok {
			out = append(out, fmt.Sprintf("%s: check %s is in the report but not in the policy bundle", ReportFile, c.ID))
		} else if s != c.Status {
			out = append(out, fmt.Sprintf("%s: check %s has status %s in the report, %s re-derived", ReportFile, c.ID, c.Status, s))
		}
		delete(checks, c.ID)
	}
	var missing []string
	for id := range checks {
		missing = append(missing, id)
	}
	sort.Strings(missing)
	for _, id := range missing {
		out = append(out, fmt.Sprintf("%s: check %s was evaluated but is missing from the report", ReportFile, id))
	}
	return out
}

// WriteText prints the notes, then each mismatch or the verified line.
// File names and resource names came from the directory: control characters
// are stripped.
func (v *Verification) WriteText(w io.Writer, dir string) error {
	for _, n := range v.Notes {
		fmt.Fprintln(w, "note:", clean(n))
	}
	for _, p := range v.Problems {
		fmt.Fprintln(w, "MISMATCH", clean(p))
	}
	if len(v.Problems) > 0 {
		return nil
	}
	who := v.Signer.Fingerprint
	if len(v.Signer.Principals) > 0 {
		who = fmt.Sprintf("%v (%s)", v.Signer.Principals, v.Signer.Fingerprint)
	}
	_, err := fmt.Fprintf(w, "verified: %s signed by %s; %d files match the manifest; %d findings re-derived from the snapshot\n",
		clean(dir), who, len(v.Manifest.Files), v.Findings)
	return err
}
