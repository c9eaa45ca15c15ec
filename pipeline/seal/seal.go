// Package seal writes and checks the evidence of a signed run: a manifest of
// every file an audit wrote (with the snapshot, policy bundle and waiver
// digests) and an OpenSSH SSHSIG signature over it, namespace "csaudit", so an
// auditor can check a run with ssh-keygen -Y verify and without csaudit.
package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Files in the output directory of a signed run.
const (
	ManifestFile  = "csaudit-manifest.json"
	SignatureFile = "csaudit-run.sig"
	WaiversFile   = "csaudit-waivers.yaml"
)

// Namespace is the SSHSIG namespace: a signature made for csaudit cannot pass
// for a signature of anything else (git commits, files), nor the reverse.
const Namespace = "csaudit"

// Schema identifies the manifest JSON.
const Schema = "csaudit.manifest/v1"

// Manifest is what the signature covers.
type Manifest struct {
	Schema    string    `json:"schema"`
	Tool      Tool      `json:"tool"`
	CreatedAt time.Time `json:"created_at"`
	// Files lists every file the run wrote to the directory except the
	// manifest and the signature, sorted by name.
	Files []File `json:"files"`
	// Snapshot is the digest of the uncompressed snapshot JSON (what the
	// report's snapshot.sha256 names) and the file that holds it.
	Snapshot Digest `json:"snapshot"`
	// Policy is the digest of every Rego file the checks were loaded from.
	Policy Bundle `json:"policy"`
	// Waivers is the waiver file the run applied, copied into the directory;
	// nil when the run had none.
	Waivers *Digest `json:"waivers"`
}

// Tool names the program and version that wrote the manifest.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// File is one file of the directory and its SHA-256.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Digest names a file and the SHA-256 of its content.
type Digest struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// Bundle is the policy bundle: the digest over Files (see BundleDigest) and
// the files themselves, so a mismatch can name the file.
type Bundle struct {
	SHA256 string `json:"sha256"`
	Files  []File `json:"files"`
}

// Sum is the hex SHA-256 of b.
func Sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// NewBundle sorts the files (by name, then digest) and computes the bundle
// digest: SHA-256 over one line "<sha256>  <name>\n" per file, the format of
// sha256sum, so it can be recomputed by hand.
func NewBundle(files []File) Bundle {
	fs := append([]File{}, files...)
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Name != fs[j].Name {
			return fs[i].Name < fs[j].Name
		}
		return fs[i].SHA256 < fs[j].SHA256
	})
	var b bytes.Buffer
	for _, f := range fs {
		fmt.Fprintf(&b, "%s  %s\n", f.SHA256, f.Name)
	}
	if fs == nil {
		fs = []File{}
	}
	return Bundle{SHA256: Sum(b.Bytes()), Files: fs}
}

// Diff names the files that differ between two bundles: changed, only in a
// (missing from b) and only in b (added).
func (a Bundle) Diff(b Bundle) []string {
	am, bm := map[string]string{}, map[string]string{}
	for _, f := range a.Files {
		am[f.Name] = f.SHA256
	}
	for _, f := range b.Files {
		bm[f.Name] = f.SHA256
	}
	var out []string
	for _, f := range a.Files {
		switch d, ok := bm[f.Name]; {
		case !ok:
			out = append(out, f.Name+" (missing)")
		case d != f.SHA256:
			out = append(out, f.Name+" (changed)")
		}
	}
	for _, f := range b.Files {
		if _, ok := am[f.Name]; !ok {
			out = append(out, f.Name+" (added)")
		}
	}
	sort.Strings(out)
	return out
}

// Build lists the files (every file the run writes but the manifest and the
// signature) with their digests.
func Build(tool Tool, at time.Time, files map[string][]byte, snapshot Digest, policy Bundle, waivers *Digest) Manifest {
	m := Manifest{Schema: Schema, Tool: tool, CreatedAt: at.UTC(), Snapshot: snapshot, Policy: policy, Waivers: waivers, Files: []File{}}
	for name, b := range files {
		if name == ManifestFile || name == SignatureFile {
			continue
		}
		m.Files = append(m.Files, File{Name: name, SHA256: Sum(b)})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Name < m.Files[j].Name })
	return m
}

// Encode is the manifest's exact bytes, the ones signed.
func (m Manifest) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// MaxManifestBytes caps a manifest read back.
const MaxManifestBytes = 4 << 20

// DecodeManifest parses a manifest strictly.
func DecodeManifest(b []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("malformed manifest: %w", err)
	}
	if m.Schema != Schema {
		return Manifest{}, fmt.Errorf("manifest schema %q is not supported (this csaudit reads %s)", m.Schema, Schema)
	}
	if m.Snapshot.SHA256 == "" || m.Policy.SHA256 == "" {
		return Manifest{}, errors.New("manifest lacks the snapshot or policy digest")
	}
	return m, nil
}
