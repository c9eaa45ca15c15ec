package seal

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"github.com/csaudit/csaudit/collectors"
)

// MaxKeyBytes caps a private key or allowed-signers file.
const MaxKeyBytes = 1 << 20

// hashAlgorithm is the one ssh-keygen uses by default.
const hashAlgorithm = sshsig.HashSHA512

// LoadSigner reads an OpenSSH private key (ed25519 or ECDSA). passphrase is
// called only for an encrypted key. Errors name the file and never quote
// the key.
func LoadSigner(file string, passphrase func() ([]byte, error)) (ssh.Signer, error) {
	b, err := collectors.ReadFileCapped(file, MaxKeyBytes)
	if err != nil {
		return nil, fmt.Errorf("--sign %s: %w", file, err)
	}
	s, err := ssh.ParsePrivateKey(b)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if passphrase == nil {
			return nil, fmt.Errorf("--sign %s: the key is encrypted: set CSAUDIT_SIGN_PASSPHRASE or run on a terminal", file)
		}
		pw, perr := passphrase()
		if perr != nil {
			return nil, fmt.Errorf("--sign %s: %w", file, perr)
		}
		s, err = ssh.ParsePrivateKeyWithPassphrase(b, pw)
		clear(pw)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("--sign %s: wrong passphrase", file)
		}
	}
	if err != nil {
		// x/crypto's messages say what is wrong with the format, never the key.
		return nil, fmt.Errorf("--sign %s: not a usable OpenSSH private key: %w", file, err)
	}
	switch t := s.PublicKey().Type(); t {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
	default:
		return nil, fmt.Errorf("--sign %s: %s keys are not supported: use an ed25519 or ECDSA key", file, t)
	}
	return s, nil
}

// Sign returns the armored SSHSIG signature ("-----BEGIN SSH SIGNATURE-----")
// of the manifest bytes.
func Sign(manifest []byte, s ssh.Signer) ([]byte, error) {
	sig, err := sshsig.Sign(bytes.NewReader(manifest), s, hashAlgorithm, Namespace)
	if err != nil {
		return nil, fmt.Errorf("sign manifest: %w", err)
	}
	return sshsig.Armor(sig), nil
}

// Signer describes who signed a run.
type Signer struct {
	Fingerprint string // SHA256:… as ssh-keygen -l prints it
	KeyType     string
	// Principals are the allowed-signers names the key matched; empty when
	// no allowed-signers file was given.
	Principals []string
}

// CheckSignature verifies the armored signature over the manifest bytes with
// the key it names, then, when allowed is not nil, that the key is listed
// for the identity (any principal when identity is "") and the csaudit
// namespace. now is the clock valid-after/valid-before are checked against.
func CheckSignature(manifest, armored []byte, allowed []AllowedSigner, identity string, now time.Time) (Signer, error) {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return Signer{}, fmt.Errorf("%s: not an SSH signature: %w", SignatureFile, err)
	}
	if sig.Namespace != Namespace {
		return Signer{}, fmt.Errorf("%s: signed for namespace %q, not %q", SignatureFile, sig.Namespace, Namespace)
	}
	who := Signer{Fingerprint: ssh.FingerprintSHA256(sig.PublicKey), KeyType: sig.PublicKey.Type()}
	if err := sshsig.Verify(bytes.NewReader(manifest), sig, sig.PublicKey, sig.HashAlgorithm, Namespace); err != nil {
		return who, fmt.Errorf("%s: the signature does not match %s (edited after signing?): %w", SignatureFile, ManifestFile, err)
	}
	if allowed == nil {
		return who, nil
	}
	key := sig.PublicKey.Marshal()
	for _, a := range allowed {
		if !bytes.Equal(a.Key.Marshal(), key) || !a.allowsNamespace(Namespace) || !a.validAt(now) {
			continue
		}
		if identity == "" {
			who.Principals = append(who.Principals, a.Principals...)
			continue
		}
		if a.matches(identity) {
			who.Principals = []string{identity}
			return who, nil
		}
	}
	if len(who.Principals) > 0 {
		return who, nil
	}
	if identity != "" {
		return who, fmt.Errorf("%s: signed by %s, which the allowed-signers file does not list for identity %q and namespace %s", SignatureFile, who.Fingerprint, identity, Namespace)
	}
	return who, fmt.Errorf("%s: signed by %s, which the allowed-signers file does not list for namespace %s", SignatureFile, who.Fingerprint, Namespace)
}

// AllowedSigner is one line of an OpenSSH allowed-signers file
// (ssh-keygen(1), ALLOWED SIGNERS).
type AllowedSigner struct {
	Principals  []string
	Key         ssh.PublicKey
	Namespaces  []string
	ValidAfter  time.Time
	ValidBefore time.Time
}

// LoadAllowedSigners parses an allowed-signers file. cert-authority lines
// are skipped: csaudit signs with plain keys, which such a line never admits.
func LoadAllowedSigners(file string) ([]AllowedSigner, error) {
	b, err := collectors.ReadFileCapped(file, MaxKeyBytes)
	if err != nil {
		return nil, fmt.Errorf("allowed signers %s: %w", file, err)
	}
	out := []AllowedSigner{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		principals, rest, _ := strings.Cut(line, " ")
		a, skip, err := parseAllowed(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("allowed signers %s line %d: %w", file, i+1, err)
		}
		if skip {
			continue
		}
		a.Principals = strings.Split(principals, ",")
		out = append(out, a)
	}
	return out, nil
}

func parseAllowed(rest string) (AllowedSigner, bool, error) {
	key, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(rest))
	if err != nil {
		return AllowedSigner{}, false, fmt.Errorf("no public key: %w", err)
	}
	a := AllowedSigner{Key: key}
	for _, o := range opts {
		name, val, _ := strings.Cut(o, "=")
		val = strings.Trim(val, `"`)
		switch strings.ToLower(name) {
		case "cert-authority":
			return a, true, nil
		case "namespaces":
			a.Namespaces = strings.Split(val, ",")
		case "valid-after", "valid-before":
			t, err := parseSSHTime(val)
			if err != nil {
				return a, false, fmt.Errorf("%s: %w", name, err)
			}
			if name == "valid-after" {
				a.ValidAfter = t
			} else {
				a.ValidBefore = t
			}
		}
	}
	return a, false, nil
}

// parseSSHTime reads ssh-keygen's YYYYMMDD[HHMM[SS]][Z] (local time without Z).
func parseSSHTime(s string) (time.Time, error) {
	loc := time.Local
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		loc, s = time.UTC, s[:len(s)-1]
	}
	for _, layout := range []string{"20060102", "200601021504", "20060102150405"} {
		if len(s) == len(layout) {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, errors.New("want a time like 20260101 or 20260101120000Z")
}

func (a AllowedSigner) allowsNamespace(ns string) bool {
	if a.Namespaces == nil {
		return true
	}
	return matchList(a.Namespaces, ns)
}

func (a AllowedSigner) validAt(t time.Time) bool {
	return (a.ValidAfter.IsZero() || !t.Before(a.ValidAfter)) && (a.ValidBefore.IsZero() || t.Before(a.ValidBefore))
}

func (a AllowedSigner) matches(identity string) bool { return matchList(a.Principals, identity) }

// matchList is OpenSSH's pattern list: * and ? wildcards, a leading ! negates
// and wins.
func matchList(patterns []string, s string) bool {
	hit := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		// path.Match treats [ and \ specially; OpenSSH patterns do not.
		p = strings.NewReplacer(`\`, `\\`, `[`, `\[`).Replace(p)
		if ok, _ := path.Match(p, s); ok {
			if neg {
				return false
			}
			hit = true
		}
	}
	return hit
}

// Passphrase is LoadSigner's passphrase source: $CSAUDIT_SIGN_PASSPHRASE,
// else a prompt on stderr when stdin is a terminal (the input is not echoed).
func Passphrase(stdin io.Reader, stderr io.Writer) func() ([]byte, error) {
	return func() ([]byte, error) {
		if p, ok := os.LookupEnv("CSAUDIT_SIGN_PASSPHRASE"); ok {
			return []byte(p), nil
		}
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return nil, errors.New("the key is encrypted: set CSAUDIT_SIGN_PASSPHRASE (stdin is not a terminal to ask on)")
		}
		fmt.Fprint(stderr, "Passphrase for the signing key: ")
		defer fmt.Fprintln(stderr)
		return term.ReadPassword(int(f.Fd()))
	}
}
