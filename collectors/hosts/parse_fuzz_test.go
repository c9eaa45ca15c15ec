package hosts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
)

// fuzzCanary stands for a secret a host may send: agent.properties holds the
// keystore passphrase, and any section may carry text that must not be
// quoted back in a failure reason.
const fuzzCanary = "FUZZ-CANARY-k3yst0re"

// sectionNames is every section of the script, in a fixed order, so a fuzz
// input picks one by index.
var sectionNames = func() []string {
	var out []string
	for name := range standard.sections {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}()

// FuzzHostSection replaces one section of a captured host's output with
// fuzzed text and exit code and runs every parser of the fact table over it.
// Properties: no panic; the facts encode as JSON; the canary planted in the
// section never reaches a failure reason, and the passphrase planted in
// agent.properties never reaches the facts.
func FuzzHostSection(f *testing.F) {
	base, err := standard.split(mustRead(f, filepath.Join("testdata", "script_testbed.out")))
	if err != nil {
		f.Fatal(err)
	}
	for i, name := range sectionNames {
		f.Add(uint8(i), base[name].Out, int16(base[name].RC))
	}
	// Captured tool outputs from testdata, each for its own section.
	for file, sec := range map[string]string{
		"ss_kvm.txt": SectionSS, "iptables_save_kvm.txt": SectionIptables, "iptables_save_empty.txt": SectionIptables,
		"ip6tables_save_kvm.txt": SectionIp6, "nft_kvm.json": SectionNft, "nft_empty.json": SectionNft,
		"nft_iptables_kvm.json": SectionNft, "ip_link_kvm.json": SectionLink, "ip_link_vxlan_bond_handmade.json": SectionLink,
		"ip_addr_kvm.json": SectionAddr, "chronyc_tracking_handmade.txt": SectionTimeSync,
		"systemctl_is_active_chroot.txt": SectionAgent,
	} {
		f.Add(uint8(indexOf(sectionNames, sec)), mustRead(f, filepath.Join("testdata", file)), int16(0))
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, idx uint8, out []byte, rc int16) {
		name := sectionNames[int(idx)%len(sectionNames)]
		secs := map[string]section{}
		for k, v := range base {
			secs[k] = v
		}
		data := append(append([]byte{}, out...), "\n"+fuzzCanary+"\n"...)
		if name == SectionProps {
			data = append(data, "keystore.passphrase="+fuzzCanary+"\n"...)
		}
		s := section{Out: data, RC: int(rc)}
		if len(s.Out) > standard.sections[name].Cap {
			s.Out, s.Truncated = s.Out[:standard.sections[name].Cap], true
		}
		s.NotUTF8 = !utf8.Valid(s.Out)
		secs[name] = s
		conn := &sshpool.Conn{RTT: 2 * time.Millisecond, FirstLine: at}
		h, failed := standard.build(secs, at, at.Add(-time.Second), conn, clockRef{})
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatalf("section %s: facts do not encode: %v", name, err)
		}
		for fact, why := range failed {
			if strings.Contains(why, fuzzCanary) {
				t.Fatalf("section %s: failure reason of %s quotes the host's output: %q", name, fact, why)
			}
			if !strings.HasPrefix(fact, "hosts.") {
				t.Fatalf("failure under an unknown fact %q", fact)
			}
		}
		if name == SectionProps && strings.Contains(string(b), "keystore.passphrase") {
			t.Fatalf("agent.properties: a key outside the allowlist reached the facts")
		}
		if name == SectionProps && h.Properties != nil {
			for k := range h.Properties.Values {
				if !slices.Contains(propertyKeys, k) {
					t.Fatalf("agent.properties: key %q is not allowlisted", k)
				}
			}
		}
	})
}

// FuzzSplit feeds the framing decoder raw script output. Properties: no
// panic; an error never quotes the input; a section's decoded output never
// exceeds its cap.
func FuzzSplit(f *testing.F) {
	f.Add(mustRead(f, filepath.Join("testdata", "script_testbed.out")))
	f.Add([]byte("@@csaudit agent  0\n@@csaudit agent  0\n"))
	f.Add([]byte("@@csaudit cpu !!! 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append(append([]byte{}, b...), "\n@@csaudit "+fuzzCanary+" 0\n"...)
		if _, err := standard.split(in); err == nil {
			t.Fatal("an unknown section name was accepted")
		} else if strings.Contains(err.Error(), fuzzCanary) {
			t.Fatalf("framing error quotes the input: %v", err)
		}
		secs, err := standard.split(b)
		if err != nil {
			return
		}
		for name, s := range secs {
			if len(s.Out) > standard.sections[name].Cap {
				t.Fatalf("section %s: %d bytes over its cap %d", name, len(s.Out), standard.sections[name].Cap)
			}
		}
	})
}

func mustRead(f *testing.F, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func indexOf(list []string, s string) int {
	i := slices.Index(list, s)
	if i < 0 {
		panic("no section " + s)
	}
	return i
}

// A parser that panics fails its fact for that host; the other facts stand.
func TestParserPanicFailsOneFact(t *testing.T) {
	table := append(slices.Clone(Table), newFact("hosts.panics",
		func(h *collectors.HostFacts) **collectors.CPUFact { return &h.CPU },
		func(in *input) (*collectors.CPUFact, error) { panic("index out of range: " + fuzzCanary) },
		Section{Name: "panics", Run: "true", Cap: 16}))
	table = slices.DeleteFunc(table, func(f Fact) bool { return f.Name == FactCPU })
	prog, err := compile(table)
	if err != nil {
		t.Fatal(err)
	}
	secs, err := standard.split(mustReadT(t, filepath.Join("testdata", "script_testbed.out")))
	if err != nil {
		t.Fatal(err)
	}
	secs["panics"] = section{Out: []byte("x")}
	at := time.Now()
	h, failed := prog.build(secs, at, at, &sshpool.Conn{FirstLine: at}, clockRef{})
	if why := failed["hosts.panics"]; !strings.Contains(why, "parser failed") || strings.Contains(why, fuzzCanary) {
		t.Errorf("panicking parser: failure %q", why)
	}
	if h.Agent == nil || h.Properties == nil || failed[FactAgent] != "" {
		t.Errorf("the other facts were lost: %+v %v", h, failed)
	}
}

func mustReadT(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
