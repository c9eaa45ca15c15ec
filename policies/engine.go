// Package policies owns OPA: it loads the embedded Rego checks (and any custom
// policy directories) once, compiles them all into one prepared query under a
// restricted sandbox, and turns what the checks deny into report findings. Go,
// not Rego, decides each check's status from the findings and the coverage.
package policies

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/csaudit/csaudit/policies/advisory"
)

//go:embed lib checks params.json
var embedded embed.FS

// CheckPrefix is the package prefix of embedded checks.
const CheckPrefix = "csaudit.checks."

// Options configure the engine.
type Options struct {
	// Dirs are custom policy directories, loaded under the same contract.
	Dirs []string
	// Params override data.csaudit.params; unknown names are errors.
	Params map[string]any
	// Timeout bounds the whole evaluation (default DefaultTimeout); a check
	// evaluated alone gets at most CheckTimeout (default DefaultCheckTimeout).
	Timeout      time.Duration
	CheckTimeout time.Duration
	// MemoryHeadroom is how much the live heap may grow during one
	// evaluation (default DefaultMemoryHeadroom) before it is stopped.
	MemoryHeadroom uint64
	// Advisories replace the embedded advisory data (data.csaudit.advisories).
	Advisories *advisory.Data
}

// Evaluation bounds: a runaway rule ends as one check in error, the others
// still report.
const (
	DefaultTimeout      = 2 * time.Minute
	DefaultCheckTimeout = 30 * time.Second
	// DefaultMemoryHeadroom: a 100,000-VM cloud's evaluation needs well
	// under a quarter of it.
	DefaultMemoryHeadroom = 4 << 30
)

// Engine evaluates every check with one prepared query.
type Engine struct {
	timeout      time.Duration
	checkTimeout time.Duration
	headroom     uint64
	checks       []*Check
	compiler     *ast.Compiler
	store        storage.Store
	query        rego.PreparedEvalQuery
	params       map[string]any
	adv          *advisory.Data
	sources      []SourceFile
}

// SourceFile is one Rego file the engine was loaded from, tests included:
// embedded files as embedded/<path>, policy-directory files as
// policy-dir/<path below the directory>, so a run's bundle can be compared on
// another machine where the directory lives elsewhere.
type SourceFile struct {
	Name   string
	SHA256 string
}

// Module is one parsed policy file.
type Module struct {
	File   string
	Source string
	AST    *ast.Module
	Test   bool
	// Bundle is the file's name in the policy bundle (see SourceFile).
	Bundle string
}

// Capabilities is OPA's built-in set minus everything that reaches the network,
// the clock (directly, or to judge a token or certificate chain "now") or
// randomness: a check must be a pure function of the snapshot.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	banned := func(name string) bool {
		switch {
		case name == "http.send", name == "opa.runtime", name == "time.now_ns", name == "trace":
			return true
		// These read the clock: a token's or a chain's validity "now".
		case name == "io.jwt.decode_verify", strings.HasPrefix(name, "crypto.x509.parse_and_verify_certificates"):
			return true
		case strings.HasPrefix(name, "net."), strings.HasPrefix(name, "rand."), strings.HasPrefix(name, "uuid."):
			return true
		}
		return false
	}
	var keep []*ast.Builtin
	for _, b := range caps.Builtins {
		if !banned(b.Name) {
			keep = append(keep, b)
		}
	}
	caps.Builtins = keep
	caps.AllowNet = []string{}
	return caps
}

func parserOptions() ast.ParserOptions {
	return ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1, Capabilities: Capabilities()}
}

// EmbeddedModules parses the embedded Rego, tests included.
func EmbeddedModules() ([]*Module, error) {
	return loadFS(embedded, ".", "embedded:")
}

// DirModules parses every .rego file under dir.
func DirModules(dir string) ([]*Module, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("policy dir %s: %w", dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("policy dir %s: not a directory", dir)
	}
	return loadFS(os.DirFS(dir), ".", dir+string(filepath.Separator))
}

const maxPolicyBytes = 1 << 20

func loadFS(fsys fs.FS, root, prefix string) ([]*Module, error) {
	var mods []*Module
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return nil
		}
		name := prefix + p
		// A FIFO or device named *.rego would block or never end; a symlink
		// is followed to what it names, which must be a regular file too.
		if st, err := fs.Stat(fsys, p); err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("policy %s: not a regular file", name)
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
		if len(b) > maxPolicyBytes {
			return fmt.Errorf("policy %s: larger than %d bytes", name, maxPolicyBytes)
		}
		m, err := ast.ParseModuleWithOpts(name, string(b), parserOptions())
		if err != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
		bundle := "policy-dir/" + p
		if prefix == "embedded:" {
			bundle = "embedded/" + p
		}
		mods = append(mods, &Module{File: name, Source: string(b), AST: m, Test: strings.HasSuffix(p, "_test.rego"), Bundle: bundle})
		return nil
	})
	return mods, err
}

// DefaultParams returns the embedded parameter defaults.
func DefaultParams() (map[string]any, error) {
	b, err := embedded.ReadFile("params.json")
	if err != nil {
		return nil, err
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("params.json: %w", err)
	}
	return p, nil
}

// MergeParams applies overrides to the defaults. An unknown name or a value of
// another JSON type than the default is an error.
func MergeParams(defaults, overrides map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range defaults {
		out[k] = v
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		def, ok := defaults[k]
		if !ok {
			return nil, fmt.Errorf("policies.params: unknown parameter %q", k)
		}
		v, err := normalize(overrides[k])
		if err != nil {
			return nil, fmt.Errorf("policies.params.%s: %w", k, err)
		}
		if kind(v) != kind(def) {
			return nil, fmt.Errorf("policies.params.%s: want a %s like %v, got a %s", k, kind(def), def, kind(v))
		}
		out[k] = v
	}
	return out, nil
}

// normalize turns YAML-decoded values into their JSON equivalents.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not a JSON value: %w", err)
	}
	var out any
	return out, json.Unmarshal(b, &out)
}

func kind(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "null"
}

// New loads, validates and compiles the embedded checks plus custom directories.
func New(ctx context.Context, opts Options) (*Engine, error) {
	mods, err := EmbeddedModules()
	if err != nil {
		return nil, err
	}
	for _, d := range opts.Dirs {
		more, err := DirModules(d)
		if err != nil {
			return nil, err
		}
		for _, m := range more {
			if m.Test {
				continue
			}
			if err := checkCustom(m); err != nil {
				return nil, err
			}
		}
		mods = append(mods, more...)
	}
	defaults, err := DefaultParams()
	if err != nil {
		return nil, err
	}
	params, err := MergeParams(defaults, opts.Params)
	if err != nil {
		return nil, err
	}
	adv := opts.Advisories
	if adv == nil {
		if adv, err = advisory.Embedded(); err != nil {
			return nil, err
		}
	}
	e, err := compile(ctx, mods, params, adv)
	if err != nil {
		return nil, err
	}
	e.timeout, e.checkTimeout = opts.Timeout, opts.CheckTimeout
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	if e.checkTimeout <= 0 {
		e.checkTimeout = DefaultCheckTimeout
	}
	if e.headroom = opts.MemoryHeadroom; e.headroom == 0 {
		e.headroom = DefaultMemoryHeadroom
	}
	for _, m := range mods {
		h := sha256.Sum256([]byte(m.Source))
		e.sources = append(e.sources, SourceFile{Name: m.Bundle, SHA256: hex.EncodeToString(h[:])})
	}
	return e, nil
}

// Sources lists every Rego file the engine was loaded from.
func (e *Engine) Sources() []SourceFile { return e.sources }

func compile(ctx context.Context, all []*Module, params map[string]any, adv *advisory.Data) (*Engine, error) {
	modules := map[string]*ast.Module{}
	for _, m := range all {
		if m.Test {
			continue
		}
		modules[m.File] = m.AST
	}
	c := ast.NewCompiler().WithCapabilities(Capabilities()).WithStrict(true).WithEnablePrintStatements(false)
	c.Compile(modules)
	if c.Failed() {
		return nil, fmt.Errorf("policies do not compile: %w", c.Errors)
	}
	checks, err := checksFrom(c, modules)
	if err != nil {
		return nil, err
	}
	// AST values on read and no JSON round trip on write: the per-evaluation
	// index (index.go) goes in as an ast.Value without being copied.
	advValue, err := adv.Value()
	if err != nil {
		return nil, err
	}
	store := inmem.NewFromObjectWithOpts(map[string]any{"csaudit": map[string]any{"params": params, "advisories": advValue}},
		inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	e := &Engine{checks: checks, compiler: c, store: store, params: params, adv: adv}
	q, err := e.prepare(ctx, checks)
	if err != nil {
		return nil, err
	}
	e.query = q
	return e, nil
}

// prepare builds the one query: an object from package path to its deny set.
func (e *Engine) prepare(ctx context.Context, checks []*Check) (rego.PreparedEvalQuery, error) {
	var parts []string
	for _, ch := range checks {
		parts = append(parts, fmt.Sprintf("%q: data.%s.deny", ch.Package, ch.Package))
	}
	q := "result := {" + strings.Join(parts, ", ") + "}"
	return rego.New(
		rego.Query(q),
		rego.Compiler(e.compiler),
		rego.Store(e.store),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
}

// Checks lists every loaded check, sorted by id.
func (e *Engine) Checks() []*Check { return e.checks }

// Params is the effective data.csaudit.params.
func (e *Engine) Params() map[string]any { return e.params }

// Advisories is the advisory data the checks judge with.
func (e *Engine) Advisories() *advisory.Data { return e.adv }

// raw evaluates the combined query and returns package → deny elements. On a
// runtime error, a timeout or a runaway allocation it evaluates each package
// alone, so only the failing checks lose their result; failed maps package →
// error text. The whole evaluation is bounded by the engine's timeout.
func (e *Engine) raw(ctx context.Context, in *Input) (out map[string][]any, failed map[string]string, err error) {
	deadline := time.Now().Add(e.timeout)
	err = e.withIndex(ctx, in, func(txn storage.Transaction) error {
		var err error
		out, failed, err = e.rawIn(ctx, in.Value, txn, deadline)
		return err
	})
	return out, failed, err
}

// errMemory cancels an evaluation whose live heap grew past its headroom.
var errMemory = errors.New("stopped: it allocated more than the evaluation's memory budget")

// bounded runs eval under a deadline and a memory guard that cancels it when
// the live heap grows by more than headroom.
func bounded[T any](ctx context.Context, deadline time.Time, headroom uint64, eval func(context.Context) (T, error)) (T, error) {
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	cctx, stop := context.WithCancelCause(dctx)
	defer stop(nil)
	done := make(chan struct{})
	defer close(done)
	go func() {
		// Growth is measured from the lowest heap seen: the first reading
		// may still hold garbage that a collection then frees.
		base := liveHeap()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				h := liveHeap()
				base = min(base, h)
				if h > base+headroom {
					stop(errMemory)
					return
				}
			}
		}
	}()
	v, err := eval(cctx)
	if err != nil {
		if cause := context.Cause(cctx); cause == errMemory {
			return v, errMemory
		}
		if dctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return v, errTimedOut
		}
	}
	return v, err
}

var errTimedOut = errors.New("timed out")

// liveHeap reads the bytes of live heap objects without stopping the world.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func (e *Engine) rawIn(ctx context.Context, input ast.Value, txn storage.Transaction, deadline time.Time) (map[string][]any, map[string]string, error) {
	// The combined query gets half the time: the other half is for
	// evaluating the checks alone, should one of them run away.
	half := time.Now().Add(time.Until(deadline) / 2)
	rs, err := bounded(ctx, half, e.headroom, func(c context.Context) (rego.ResultSet, error) {
		return e.query.Eval(c, rego.EvalParsedInput(input), rego.EvalTransaction(txn))
	})
	if err == nil {
		out, err := resultObject(rs)
		return out, nil, err
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	out := map[string][]any{}
	failed := map[string]string{}
	for _, ch := range e.checks {
		budget := time.Now().Add(e.checkTimeout)
		if budget.After(deadline) {
			budget = deadline
		}
		if !time.Now().Before(budget) {
			failed[ch.Package] = fmt.Sprintf("timed out: the evaluation's %s deadline passed before this check ran", e.timeout)
			continue
		}
		q, perr := e.prepare(ctx, []*Check{ch})
		if perr != nil {
			failed[ch.Package] = perr.Error()
			continue
		}
		allowed := time.Until(budget).Round(time.Millisecond)
		rs, err := bounded(ctx, budget, e.headroom, func(c context.Context) (rego.ResultSet, error) {
			return q.Eval(c, rego.EvalParsedInput(input), rego.EvalTransaction(txn))
		})
		switch {
		case ctx.Err() != nil:
			return nil, nil, ctx.Err()
		case errors.Is(err, errTimedOut):
			failed[ch.Package] = fmt.Sprintf("timed out after %s", allowed)
			continue
		case err != nil:
			failed[ch.Package] = err.Error()
			continue
		}
		one, err := resultObject(rs)
		if err != nil {
			failed[ch.Package] = err.Error()
			continue
		}
		out[ch.Package] = one[ch.Package]
	}
	return out, failed, nil
}

func resultObject(rs rego.ResultSet) (map[string][]any, error) {
	if len(rs) != 1 {
		return nil, fmt.Errorf("policy query returned %d results, want 1", len(rs))
	}
	obj, ok := rs[0].Bindings["result"].(map[string]any)
	if !ok {
		return nil, errors.New("policy query result is not an object")
	}
	out := map[string][]any{}
	for k, v := range obj {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s.deny is not a set", k)
		}
		out[k] = list
	}
	return out, nil
}
