package hosts

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/csaudit/csaudit/collectors"
)

// AuditedPorts are the INPUT ports whose reachability is evaluated: SSH,
// libvirt TCP and TLS, and the agent port.
var AuditedPorts = []int{22, 8250, 16509, 16514}

// Port verdicts.
const (
	VerdictOpen          = "open"
	VerdictRestricted    = "restricted"
	VerdictClosed        = "closed"
	VerdictIndeterminate = "indeterminate"
)

// The interpreter answers one question per port: does a new IPv4 TCP
// connection from another machine reach a local socket? It follows the
// filter INPUT chain (and chains it jumps to) and gives up — "indeterminate",
// never a pass — on any match or target it does not model. Reasons never quote
// rule text: they name the rule by chain position only.

type fwRule struct {
	never  bool             // cannot match a new TCP connection from outside
	ports  func(p int) bool // nil: any port
	cond   string           // non-empty: matches only these sources (bare CIDRs) / "iface X" / "dst X" / "ipset X"
	target string           // ACCEPT, DROP, RETURN, JUMP, GOTO, or "" (continue)
	chain  string           // JUMP / GOTO target
	bad    string           // why the rule cannot be interpreted
	srcs   []string         // source addresses or CIDRs the rule is limited to
}

type fwChain struct {
	policy string // ACCEPT or DROP; empty for user chains
	rules  []fwRule
}

type fwTable map[string]*fwChain

// evalResult is the outcome of walking a chain for one port.
type evalResult struct {
	final   string   // ACCEPT, DROP, or RETURN (fell off / returned)
	sources []string // conditional accepts seen before the final verdict
	from    []string // the source addresses those accepts admit (acceptFrom)
	bad     string
}

// acceptFrom names the sources a conditional accept admits: its source
// addresses or CIDRs, "ipset NAME" when a set limits it, else "any" (only an
// interface or a destination limits it).
func acceptFrom(r fwRule) []string {
	if len(r.srcs) > 0 {
		out := make([]string, 0, len(r.srcs))
		for _, s := range r.srcs {
			if name, ok := strings.CutPrefix(s, "@"); ok { // an nft named set
				s = "ipset " + name
			}
			out = append(out, s)
		}
		return out
	}
	f := strings.Fields(r.cond)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "ipset" {
			return []string{"ipset " + f[i+1]}
		}
	}
	return []string{"any"}
}

func (t fwTable) eval(chain string, port, depth int) evalResult {
	c := t[chain]
	if c == nil {
		return evalResult{bad: "jump to a chain that does not exist"}
	}
	if depth > 32 {
		return evalResult{bad: "chains nest deeper than 32"}
	}
	var res evalResult
	for i, r := range c.rules {
		if r.never || (r.ports != nil && !r.ports(port)) {
			continue
		}
		if r.bad != "" {
			return evalResult{bad: fmt.Sprintf("rule %d of a chain at depth %d: %s", i+1, depth, r.bad)}
		}
		switch r.target {
		case "":
			continue
		case "ACCEPT":
			if r.cond != "" {
				res.sources = append(res.sources, r.cond)
				res.from = append(res.from, acceptFrom(r)...)
				continue
			}
			res.final = "ACCEPT"
			return res
		case "DROP":
			if r.cond != "" {
				continue // narrows some sources only; others go on
			}
			res.final = "DROP"
			return res
		case "RETURN":
			if r.cond != "" {
				return evalResult{bad: fmt.Sprintf("rule %d: conditional RETURN", i+1)}
			}
			res.final = "RETURN"
			return res
		case "JUMP", "GOTO":
			sub := t.eval(r.chain, port, depth+1)
			if sub.bad != "" {
				return sub
			}
			if r.cond != "" {
				if sub.final == "ACCEPT" || len(sub.sources) > 0 {
					res.sources = append(res.sources, r.cond)
					if len(r.srcs) == 0 && sub.final != "ACCEPT" {
						res.from = append(res.from, sub.from...) // the sub-chain's own limits
					} else {
						res.from = append(res.from, acceptFrom(r)...)
					}
				}
				continue
			}
			res.sources = append(res.sources, sub.sources...)
			res.from = append(res.from, sub.from...)
			if sub.final == "ACCEPT" || sub.final == "DROP" {
				res.final = sub.final
				return res
			}
			if r.target == "GOTO" {
				res.final = "RETURN"
				return res
			}
		}
	}
	res.final = "RETURN"
	return res
}

var linkLocalProbe = net.ParseIP("169.254.0.1")

// dropsLinkLocal reports whether the chain explicitly drops traffic from
// 169.254.0.0/16 (the KVM host talks to system VMs over link-local) before
// accepting it. decided is false when the walk found neither.
func (t fwTable) dropsLinkLocal(chain string, depth int) (dropped, decided bool) {
	c := t[chain]
	if c == nil || depth > 32 {
		return false, false
	}
	for _, r := range c.rules {
		if r.never || r.ports != nil || r.bad != "" {
			continue
		}
		ll := false
		for _, src := range r.srcs {
			if _, n, err := net.ParseCIDR(src); err == nil && n.Contains(linkLocalProbe) {
				ll = true
			} else if ip := net.ParseIP(src); ip != nil && ip.Equal(linkLocalProbe) {
				ll = true
			}
		}
		if len(r.srcs) > 0 && !ll || len(r.srcs) == 0 && r.cond != "" {
			continue
		}
		switch r.target {
		case "DROP":
			if ll {
				return true, true
			}
		case "ACCEPT":
			return false, true
		case "JUMP", "GOTO":
			if d, ok := t.dropsLinkLocal(r.chain, depth+1); ok {
				return d, true
			}
		}
	}
	return false, false
}

// verdict evaluates a base chain for one port.
func (t fwTable) verdict(base string, port int) collectors.PortVerdict {
	r := t.eval(base, port, 0)
	if r.bad != "" {
		return collectors.PortVerdict{Verdict: VerdictIndeterminate, Reason: r.bad}
	}
	final := r.final
	if final == "RETURN" {
		final = t[base].policy
	}
	switch {
	case final == "ACCEPT":
		return collectors.PortVerdict{Verdict: VerdictOpen}
	case len(r.sources) > 0:
		from := slices.Clone(r.from)
		slices.Sort(from)
		return collectors.PortVerdict{Verdict: VerdictRestricted, Sources: slices.Compact(r.sources), AcceptFrom: slices.Compact(from)}
	default:
		return collectors.PortVerdict{Verdict: VerdictClosed}
	}
}

// portSpec parses "22", "1000:2000" or "22,80,1000:2000".
func portSpec(s string) (func(int) bool, bool) {
	type rng struct{ lo, hi int }
	var rs []rng
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, false
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, false
			}
		}
		rs = append(rs, rng{a, b})
	}
	return func(p int) bool {
		for _, r := range rs {
			if p >= r.lo && p <= r.hi {
				return true
			}
		}
		return false
	}, true
}

// tokenize splits an iptables-save rule, keeping double-quoted strings whole.
func tokenize(l string) []string {
	var out []string
	var cur strings.Builder
	inQ, have := false, false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c == '\\' && inQ && i+1 < len(l):
			i++
			cur.WriteByte(l[i])
		case c == '"':
			inQ, have = !inQ, true
		case c == ' ' && !inQ:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

var nonTerminal = []string{"LOG", "NFLOG", "MARK", "CONNMARK", "CT", "NOTRACK", "TRACE", "AUDIT", "ULOG"}

// parseIptablesRule interprets the arguments after "-A CHAIN".
func parseIptablesRule(args []string, chains map[string]bool) fwRule {
	var r fwRule
	var conds []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			r.bad = "option without a value"
			return ""
		}
		switch a {
		case "!":
			r.bad = "negated match"
		case "-p", "--protocol":
			switch strings.ToLower(val()) {
			case "tcp", "6", "all", "0":
			default:
				r.never = true
			}
		case "-s", "--source":
			if v := val(); v != "0.0.0.0/0" && v != "::/0" {
				conds = append(conds, v)
				r.srcs = append(r.srcs, strings.Split(v, ",")...)
			}
		case "-d", "--destination":
			if v := val(); v != "0.0.0.0/0" && v != "::/0" {
				conds = append(conds, "dst "+v)
			}
		case "-i", "--in-interface":
			if v := val(); v == "lo" {
				r.never = true
			} else if v != "+" {
				conds = append(conds, "iface "+v)
			}
		case "-m", "--match":
			switch val() {
			case "tcp", "multiport", "state", "conntrack", "comment", "addrtype", "set":
			default:
				r.bad = "unsupported match module"
			}
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			f, ok := portSpec(val())
			if !ok {
				r.bad = "unreadable port"
			}
			r.ports = f
		case "--state", "--ctstate":
			if !slices.Contains(strings.Split(val(), ","), "NEW") {
				r.never = true
			}
		case "--comment", "--dst-type":
			val()
		case "--syn":
		case "--match-set":
			name := val()
			val() // src/dst flags
			conds = append(conds, "ipset "+name)
		case "-j", "--jump", "-g", "--goto":
			t := val()
			switch {
			case t == "ACCEPT", t == "DROP", t == "RETURN":
				r.target = t
			case t == "REJECT":
				r.target = "DROP"
			case slices.Contains(nonTerminal, t):
				r.target = ""
			case chains[t]:
				r.target, r.chain = "JUMP", t
				if a == "-g" || a == "--goto" {
					r.target = "GOTO"
				}
			default:
				r.bad = "unsupported target"
			}
			// The remaining options belong to the target (--reject-with, --log-prefix, ...).
			i = len(args)
		default:
			if r.bad == "" {
				r.bad = "unsupported option"
			}
		}
	}
	r.cond = strings.Join(conds, " ")
	return r
}

// parseIptablesSave reads iptables-save output into tables. Drops in the raw or
// mangle tables are not modelled, so they make every verdict indeterminate.
func parseIptablesSave(b []byte) (map[string]fwTable, string, error) {
	tables := map[string]fwTable{}
	var cur fwTable
	var curName string
	type pending struct {
		chain string
		args  []string
	}
	var rules []pending
	flush := func() {
		known := map[string]bool{}
		for n := range cur {
			known[n] = true
		}
		for _, p := range rules {
			cur[p.chain].rules = append(cur[p.chain].rules, parseIptablesRule(p.args, known))
		}
		rules = nil
	}
	var unmodelled string
	for n, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || l[0] == '#':
		case l[0] == '*':
			curName = l[1:]
			cur = fwTable{}
			tables[curName] = cur
		case cur == nil:
			return nil, "", fmt.Errorf("iptables-save line %d: outside a table", n+1)
		case l == "COMMIT":
			flush()
			cur = nil
		case l[0] == ':':
			f := strings.Fields(l[1:])
			if len(f) < 2 {
				return nil, "", fmt.Errorf("iptables-save line %d: bad chain declaration", n+1)
			}
			pol := f[1]
			if pol == "-" {
				pol = ""
			}
			cur[f[0]] = &fwChain{policy: pol}
		case strings.HasPrefix(l, "-A "):
			t := tokenize(l)
			if len(t) < 2 || cur[t[1]] == nil {
				return nil, "", fmt.Errorf("iptables-save line %d: rule for an undeclared chain", n+1)
			}
			if (curName == "raw" || curName == "mangle") && (slices.Contains(t, "DROP") || slices.Contains(t, "REJECT")) {
				unmodelled = "the " + curName + " table drops packets"
			}
			rules = append(rules, pending{t[1], t[2:]})
		default:
			return nil, "", fmt.Errorf("iptables-save line %d: unrecognised line", n+1)
		}
	}
	if cur != nil {
		return nil, "", errors.New("iptables-save: table without COMMIT (output cut?)")
	}
	return tables, unmodelled, nil
}

// iptablesVerdicts evaluates filter/INPUT. No filter table means no rules.
// fwResult is one backend's evaluation.
type fwResult struct {
	ports     map[string]collectors.PortVerdict
	hasTables bool
	linkLocal *bool // nil when not decidable
}

func iptablesVerdicts(b []byte) (map[string]collectors.PortVerdict, bool, error) {
	r, err := iptablesEval(b)
	if err != nil {
		return nil, false, err
	}
	return r.ports, r.hasTables, nil
}

func iptablesEval(b []byte) (*fwResult, error) {
	tables, unmodelled, err := parseIptablesSave(b)
	if err != nil {
		return nil, err
	}
	out := map[string]collectors.PortVerdict{}
	filter := tables["filter"]
	for _, p := range AuditedPorts {
		switch {
		case unmodelled != "":
			out[strconv.Itoa(p)] = collectors.PortVerdict{Verdict: VerdictIndeterminate, Reason: unmodelled}
		case filter == nil || filter["INPUT"] == nil:
			out[strconv.Itoa(p)] = collectors.PortVerdict{Verdict: VerdictOpen}
		default:
			out[strconv.Itoa(p)] = filter.verdict("INPUT", p)
		}
	}
	res := &fwResult{ports: out, hasTables: len(tables) > 0}
	if unmodelled == "" {
		d := false
		if filter != nil {
			d, _ = filter.dropsLinkLocal("INPUT", 0)
		}
		res.linkLocal = &d
	}
	return res, nil
}

// nft JSON (nft -j list ruleset), only the parts the interpreter reads.
type nftObject struct {
	Table *struct {
		Family string `json:"family"`
		Name   string `json:"name"`
	} `json:"table"`
	Chain *struct {
		Family string `json:"family"`
		Table  string `json:"table"`
		Name   string `json:"name"`
		Type   string `json:"type"`
		Hook   string `json:"hook"`
		Policy string `json:"policy"`
	} `json:"chain"`
	Rule *struct {
		Family string            `json:"family"`
		Table  string            `json:"table"`
		Chain  string            `json:"chain"`
		Expr   []json.RawMessage `json:"expr"`
	} `json:"rule"`
}

// iptablesOwned are the tables iptables-nft creates; they are evaluated from
// iptables-save, which shows them without nft's xt wrappers.
var iptablesOwned = []string{"filter", "raw", "mangle", "nat", "security"}

// nftVerdicts evaluates every IPv4-relevant base chain on the input hook; a
// connection must pass all of them. skipIptables leaves out the tables that
// iptables-save already showed.
func nftVerdicts(b []byte, skipIptables bool) (map[string]collectors.PortVerdict, bool, error) {
	r, err := nftEval(b, skipIptables, false)
	if err != nil {
		return nil, false, err
	}
	return r.ports, r.hasTables, nil
}

// nftEval evaluates the ruleset for IPv4, or with v6 for IPv6 (families ip6
// and inet; tables iptables-nft owns are then ip6tables-save's).
func nftEval(b []byte, skipIptables, v6 bool) (*fwResult, error) {
	var doc struct {
		Nftables []nftObject `json:"nftables"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, errors.New("nft -j: not the nftables JSON document")
	}
	type key struct{ family, table string }
	tables := map[key]fwTable{}
	var bases []struct {
		k    key
		name string
	}
	type hookKey struct {
		k    key
		name string
	}
	hooks := map[hookKey]string{}
	unmodelled := ""
	own := "ip"
	if v6 {
		own = "ip6"
	}
	skip := func(family, table string) bool {
		if family != own && family != "inet" {
			return true // the other IP version, arp, bridge, netdev
		}
		return skipIptables && family == own && slices.Contains(iptablesOwned, table)
	}
	any := false
	for _, o := range doc.Nftables {
		switch {
		case o.Chain != nil:
			c := o.Chain
			if skip(c.Family, c.Table) {
				continue
			}
			k := key{c.Family, c.Table}
			if tables[k] == nil {
				tables[k] = fwTable{}
			}
			pol := ""
			if c.Hook != "" {
				pol = strings.ToUpper(c.Policy)
				if pol == "" {
					pol = "ACCEPT"
				}
			}
			tables[k][c.Name] = &fwChain{policy: pol}
			hooks[hookKey{k, c.Name}] = c.Hook
			if c.Hook == "input" && c.Type == "filter" {
				bases = append(bases, struct {
					k    key
					name string
				}{k, c.Name})
			}
			any = true
		case o.Rule != nil:
			r := o.Rule
			if skip(r.Family, r.Table) {
				continue
			}
			t := tables[key{r.Family, r.Table}]
			if t == nil || t[r.Chain] == nil {
				return nil, errors.New("nft -j: rule before its chain")
			}
			rule := parseNftRule(r.Expr, v6)
			t[r.Chain].rules = append(t[r.Chain].rules, rule)
			if hooks[hookKey{key{r.Family, r.Table}, r.Chain}] == "prerouting" && rule.target == "DROP" && !rule.never {
				unmodelled = "a prerouting chain drops packets"
			}
		}
	}
	out := map[string]collectors.PortVerdict{}
	for _, p := range AuditedPorts {
		v := collectors.PortVerdict{Verdict: VerdictOpen}
		if unmodelled != "" {
			v = collectors.PortVerdict{Verdict: VerdictIndeterminate, Reason: unmodelled}
		} else {
			for _, b := range bases {
				v = combine(v, tables[b.k].verdict(b.name, p))
			}
		}
		out[strconv.Itoa(p)] = v
	}
	res := &fwResult{ports: out, hasTables: any}
	if unmodelled == "" {
		d := false
		for _, b := range bases {
			if dd, _ := tables[b.k].dropsLinkLocal(b.name, 0); dd {
				d = true
			}
		}
		res.linkLocal = &d
	}
	return res, nil
}

// combine joins the verdicts of two filters a packet must pass in turn.
func combine(a, b collectors.PortVerdict) collectors.PortVerdict {
	rank := map[string]int{VerdictOpen: 0, VerdictRestricted: 1, VerdictIndeterminate: 2, VerdictClosed: 3}
	if rank[b.Verdict] > rank[a.Verdict] {
		a, b = b, a
	}
	if a.Verdict == VerdictRestricted && b.Verdict == VerdictRestricted {
		a.Sources = append(slices.Clone(a.Sources), b.Sources...)
		// Both filters must pass; their union over-approximates what is admitted.
		from := append(slices.Clone(a.AcceptFrom), b.AcceptFrom...)
		slices.Sort(from)
		a.AcceptFrom = slices.Compact(from)
	}
	return a
}

func parseNftRule(exprs []json.RawMessage, v6 bool) fwRule {
	var r fwRule
	var conds []string
	for _, raw := range exprs {
		var e map[string]json.RawMessage
		if json.Unmarshal(raw, &e) != nil || len(e) != 1 {
			r.bad = "unreadable expression"
			continue
		}
		for kind, body := range e {
			switch kind {
			case "counter", "log", "limit":
				if kind == "limit" {
					r.bad = "rate limit"
				}
			case "accept":
				r.target = "ACCEPT"
			case "drop", "reject":
				r.target = "DROP"
			case "return":
				r.target = "RETURN"
			case "jump", "goto":
				var j struct {
					Target string `json:"target"`
				}
				_ = json.Unmarshal(body, &j)
				r.target, r.chain = strings.ToUpper(kind), j.Target
			case "match":
				nftMatch(body, &r, &conds, v6)
			default:
				r.bad = "unsupported expression"
			}
		}
	}
	r.cond = strings.Join(conds, " ")
	return r
}

func nftMatch(body json.RawMessage, r *fwRule, conds *[]string, v6 bool) {
	ipProto, otherProto, nfproto := "ip", "ip6", "ipv4"
	if v6 {
		ipProto, otherProto, nfproto = "ip6", "ip", "ipv6"
	}
	var m struct {
		Op   string `json:"op"`
		Left struct {
			Meta *struct {
				Key string `json:"key"`
			} `json:"meta"`
			Payload *struct {
				Protocol string `json:"protocol"`
				Field    string `json:"field"`
			} `json:"payload"`
			Ct *struct {
				Key string `json:"key"`
			} `json:"ct"`
		} `json:"left"`
		Right json.RawMessage `json:"right"`
	}
	if json.Unmarshal(body, &m) != nil {
		r.bad = "unreadable match"
		return
	}
	if m.Op != "==" && m.Op != "in" {
		r.bad = "negated or relational match"
		return
	}
	words, nums, ok := nftValues(m.Right)
	switch {
	case m.Left.Meta != nil && (m.Left.Meta.Key == "iif" || m.Left.Meta.Key == "iifname"):
		if slices.Equal(words, []string{"lo"}) {
			r.never = true
		} else {
			*conds = append(*conds, "iface "+strings.Join(words, ","))
		}
	case m.Left.Meta != nil && m.Left.Meta.Key == "l4proto",
		m.Left.Payload != nil && m.Left.Payload.Protocol == ipProto && (m.Left.Payload.Field == "protocol" || m.Left.Payload.Field == "nexthdr"):
		if !slices.Contains(words, "tcp") && !slices.Contains(nums, [2]int{6, 6}) {
			r.never = true
		}
	case m.Left.Ct != nil && m.Left.Ct.Key == "state":
		if !slices.Contains(words, "new") {
			r.never = true
		}
	case m.Left.Ct != nil && m.Left.Ct.Key == "status" && slices.Equal(words, []string{"dnat"}):
		r.never = true // only connections NATed to this host (firewalld)
	case m.Left.Meta != nil && m.Left.Meta.Key == "nfproto":
		if !slices.Contains(words, nfproto) {
			r.never = true
		}
	case m.Left.Payload != nil && (m.Left.Payload.Protocol == "tcp" || m.Left.Payload.Protocol == "th") && m.Left.Payload.Field == "dport":
		if !ok || len(words) > 0 {
			r.bad = "unreadable port"
			return
		}
		r.ports = func(p int) bool {
			for _, n := range nums {
				if p >= n[0] && p <= n[1] {
					return true
				}
			}
			return false
		}
	case m.Left.Payload != nil && (m.Left.Payload.Protocol == "udp" || m.Left.Payload.Protocol == otherProto ||
		m.Left.Payload.Protocol == "icmp" || m.Left.Payload.Protocol == "icmpv6"):
		r.never = true
	case m.Left.Payload != nil && m.Left.Payload.Protocol == ipProto && (m.Left.Payload.Field == "saddr" || m.Left.Payload.Field == "daddr"):
		if !ok {
			r.bad = "unreadable address"
			return
		}
		dir := ""
		if m.Left.Payload.Field == "daddr" {
			dir = "dst "
		} else {
			r.srcs = append(r.srcs, words...)
		}
		*conds = append(*conds, dir+strings.Join(words, ","))
	default:
		r.bad = "unsupported match"
	}
}

// nftValues flattens a match's right side: strings and prefixes as words,
// numbers and ranges as [lo, hi].
func nftValues(raw json.RawMessage) (words []string, nums [][2]int, ok bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil, nil, false
	}
	ok = true
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			words = append(words, x)
		case float64:
			nums = append(nums, [2]int{int(x), int(x)})
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			switch {
			case x["set"] != nil:
				walk(x["set"])
			case x["range"] != nil:
				rg, _ := x["range"].([]any)
				if len(rg) == 2 {
					lo, ok1 := rg[0].(float64)
					hi, ok2 := rg[1].(float64)
					if ok1 && ok2 {
						nums = append(nums, [2]int{int(lo), int(hi)})
						return
					}
				}
				ok = false
			case x["prefix"] != nil:
				p, _ := x["prefix"].(map[string]any)
				a, _ := p["addr"].(string)
				l, _ := p["len"].(float64)
				words = append(words, a+"/"+strconv.Itoa(int(l)))
			default:
				ok = false
			}
		default:
			ok = false
		}
	}
	walk(v)
	return words, nums, ok
}

// familyEval is the combined verdict of one IP version's backends.
type familyEval struct {
	ports     map[string]collectors.PortVerdict
	backends  []string
	linkLocal *bool
}

// evalFamily combines an iptables-save style section and the nft section for
// one IP version. A tool that is absent (rc 127) is skipped; a failure of a
// present tool makes every port indeterminate.
func evalFamily(ipt, nft *section, iptName string, v6 bool) familyEval {
	fe := familyEval{ports: map[string]collectors.PortVerdict{}}
	for _, p := range AuditedPorts {
		fe.ports[strconv.Itoa(p)] = collectors.PortVerdict{Verdict: VerdictOpen}
	}
	iptHasTables := false
	var ll *bool
	llKnown := true
	apply := func(name string, s *section, eval func([]byte) (*fwResult, error)) {
		if s == nil || s.RC == 127 {
			return
		}
		var res *fwResult
		var err error
		switch {
		case s.Truncated:
			err = errors.New(name + " output exceeds its size limit")
		case s.RC == 126:
			err = errors.New(name + " needs root or a sudoers entry for the audit user")
		case s.NotUTF8:
			err = errors.New(name + " " + errNotUTF8.Error())
		case s.RC != 0:
			err = fmt.Errorf("%s exited with status %d", name, s.RC)
		default:
			res, err = eval(s.Out)
			if err == nil && name == iptName {
				iptHasTables = res.hasTables
			}
		}
		fe.backends = append(fe.backends, name)
		switch {
		case err != nil || res.linkLocal == nil:
			llKnown = false
		case *res.linkLocal:
			t := true
			ll = &t
		case ll == nil:
			ll = res.linkLocal
		}
		for port := range fe.ports {
			v := collectors.PortVerdict{Verdict: VerdictIndeterminate, Reason: "unreadable"}
			if err != nil {
				v.Reason = err.Error()
			} else {
				v = res.ports[port]
			}
			fe.ports[port] = combine(fe.ports[port], v)
		}
	}
	apply(iptName, ipt, iptablesEval)
	apply("nft", nft, func(b []byte) (*fwResult, error) {
		return nftEval(b, iptHasTables, v6)
	})
	// A drop seen anywhere is a drop; "not dropped" needs every backend read.
	if ll != nil && (*ll || llKnown) {
		fe.linkLocal = ll
	}
	return fe
}

// firewallFact evaluates IPv4 (iptables-save, nft) and IPv6 (ip6tables-save,
// nft). Link-local (169.254.0.0/16) is an IPv4 question only.
func firewallFact(ipt, nft *section, ipt6 ...*section) (*collectors.FirewallFact, error) {
	v4 := evalFamily(ipt, nft, "iptables-save", false)
	if len(v4.backends) == 0 {
		return nil, errors.New("neither iptables-save nor nft is installed")
	}
	f := &collectors.FirewallFact{Ports: v4.ports, Backend: strings.Join(v4.backends, "+"), LinkLocalDropped: v4.linkLocal}
	if len(ipt6) > 0 {
		if v6 := evalFamily(ipt6[0], nft, "ip6tables-save", true); len(v6.backends) > 0 {
			f.Ports6 = v6.ports
		}
	}
	return f, nil
}
