package hosts

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFirewallAcceptFrom: a restricted port names the sources its accepts
// admit, so a check can compare them with the management servers.
func TestFirewallAcceptFrom(t *testing.T) {
	head := "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:cs-in - [0:0]\n"
	for _, tc := range []struct {
		name, rules, port string
		want              []string
	}{
		{"source addresses", "-A INPUT -s 10.0.0.11/32,10.0.0.12 -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT\n", "22",
			[]string{"10.0.0.11/32", "10.0.0.12", "192.0.2.0/24"}},
		{"interface only admits any source", "-A INPUT -i eth0 -p tcp --dport 16509 -j ACCEPT\n", "16509", []string{"any"}},
		{"ipset", "-A INPUT -m set --match-set mgmt src -p tcp --dport 16514 -j ACCEPT\n", "16514", []string{"ipset mgmt"}},
		{"source-limited jump", "-A INPUT -s 10.0.0.11 -j cs-in\n-A cs-in -p tcp --dport 22 -j ACCEPT\n", "22", []string{"10.0.0.11"}},
		{"jump to a chain that limits sources", "-A INPUT -i eth0 -j cs-in\n-A cs-in -s 10.0.0.12 -p tcp --dport 22 -j ACCEPT\n", "22", []string{"10.0.0.12"}},
	} {
		got, _, err := iptablesVerdicts([]byte(head + tc.rules + "COMMIT\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		v := got[tc.port]
		if v.Verdict != VerdictRestricted {
			t.Errorf("%s: verdict %s, want restricted", tc.name, v.Verdict)
		}
		if d := cmp.Diff(tc.want, v.AcceptFrom); d != "" {
			t.Errorf("%s: accept_from (-want +got):\n%s", tc.name, d)
		}
	}
	// nft: a named set stands for addresses csaudit does not read.
	doc := `{"nftables": [
{"table": {"family": "inet", "name": "fw"}},
{"chain": {"family": "inet", "table": "fw", "name": "in", "type": "filter", "hook": "input", "policy": "drop"}},
{"rule": {"family": "inet", "table": "fw", "chain": "in", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@mgmt"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}}, {"accept": null}]}},
{"rule": {"family": "inet", "table": "fw", "chain": "in", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 24}}}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}}, {"accept": null}]}}
]}`
	nv, _, err := nftVerdicts([]byte(doc), false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"10.0.0.0/24", "ipset mgmt"}, nv["22"].AcceptFrom); d != "" {
		t.Errorf("nft accept_from (-want +got):\n%s", d)
	}
	got, _, err := iptablesVerdicts(readTestdata(t, "iptables_save_kvm.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"192.0.2.0/24"}, got["16509"].AcceptFrom); d != "" {
		t.Error(d)
	}
	if got["22"].AcceptFrom != nil {
		t.Errorf("an open port names no sources: %v", got["22"].AcceptFrom)
	}
}
