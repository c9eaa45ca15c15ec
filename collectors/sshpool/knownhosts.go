package sshpool

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownKeys is what the known_hosts files say about one host: its plain keys'
// algorithms and whether a @cert-authority line covers it. The knownhosts
// package verifies; this only pins the algorithms offered in the handshake, so
// a host with an ed25519 entry is not asked for its RSA key and then reported
// as "changed".
type knownKeys struct {
	algos []string
	ca    bool
}

func (k knownKeys) empty() bool { return len(k.algos) == 0 && !k.ca }

// hostKeyAlgorithms lists the algorithms to offer, certificates first.
func (k knownKeys) hostKeyAlgorithms() []string {
	var out []string
	if k.ca {
		out = append(out, ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01,
			ssh.CertAlgoECDSA521v01, ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01)
	}
	return append(out, k.algos...)
}

func algosForKeyType(t string) []string {
	switch t {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	default:
		return []string{t}
	}
}

// khEntry is one usable known_hosts line.
type khEntry struct {
	ca       bool
	patterns []string
	keyType  string
}

// khIndex holds known_hosts lines parsed once per run: plain single-host
// entries by name, the rest (wildcards, hashes, negations, lists) in order.
type khIndex struct {
	exact map[string][]khEntry
	other []khEntry
}

func loadKnown(files []string) (*khIndex, error) {
	idx := &khIndex{exact: map[string][]khEntry{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			marker, hosts, key, _, _, err := ssh.ParseKnownHosts(line)
			if err != nil || marker == "revoked" {
				continue
			}
			e := khEntry{ca: marker == "cert-authority", patterns: hosts, keyType: key.Type()}
			if len(hosts) == 1 && !strings.ContainsAny(hosts[0], "*?!|") {
				idx.exact[hosts[0]] = append(idx.exact[hosts[0]], e)
				continue
			}
			idx.other = append(idx.other, e)
		}
	}
	return idx, nil
}

// lookup returns what the known_hosts lines say about addr ("host:port").
func (idx *khIndex) lookup(addr string) knownKeys {
	var k knownKeys
	want := knownhosts.Normalize(addr)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, "22"
	}
	add := func(e khEntry) {
		if e.ca {
			k.ca = true
			return
		}
		for _, a := range algosForKeyType(e.keyType) {
			if !slices.Contains(k.algos, a) {
				k.algos = append(k.algos, a)
			}
		}
	}
	for _, e := range idx.exact[want] {
		add(e)
	}
	for _, e := range idx.other {
		if hostsMatch(e.patterns, want, host, port) {
			add(e)
		}
	}
	return k
}

// lookupKnown reads the files and looks addr up.
func lookupKnown(files []string, addr string) (knownKeys, error) {
	idx, err := loadKnown(files)
	if err != nil {
		return knownKeys{}, err
	}
	return idx.lookup(addr), nil
}

// hostsMatch applies OpenSSH's host pattern rules: hashed entries, wildcards,
// [host]:port forms and negation.
func hostsMatch(patterns []string, normalized, host, port string) bool {
	matched := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		var ok bool
		if strings.HasPrefix(p, "|1|") {
			ok = hashedMatch(p, normalized)
		} else {
			ph, pp := p, "22"
			if strings.HasPrefix(p, "[") {
				if h, prt, err := net.SplitHostPort(p); err == nil {
					ph, pp = h, prt
				}
			}
			g, _ := path.Match(ph, host)
			ok = pp == port && (ph == host || g)
		}
		if ok && neg {
			return false
		}
		matched = matched || ok
	}
	return matched
}

func hashedMatch(p, normalized string) bool {
	parts := strings.Split(p[len("|1|"):], "|")
	if len(parts) != 2 {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[0])
	sum, err2 := base64.StdEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(normalized))
	return hmac.Equal(m.Sum(nil), sum)
}
