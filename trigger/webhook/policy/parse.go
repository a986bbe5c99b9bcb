package policy

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// Parse reads the keys in Keys from extra (weft.WebhookTrigger.Extra: the
// values as decoded from YAML or JSON) and checks them. On failure the error
// is Errors, holding every problem found.
func Parse(extra map[string]any) (*Policy, error) {
	r := &reader{p: &Policy{Dedupe: Dedupe{Window: DefaultDedupeWindow}}}
	if v, ok := extra["verify"]; ok {
		r.verify(v)
	}
	if v, ok := extra["dedupe"]; ok {
		r.dedupe(v)
	}
	if v, ok := extra["allow_ips"]; ok {
		r.allowIPs(v)
	}
	if v, ok := extra["rate_limit"]; ok {
		r.rate(v)
	}
	if v, ok := extra["preset"]; ok {
		r.preset(v)
	}
	if v, ok := extra["events"]; ok {
		r.events(v)
	}
	if v, ok := extra["register"]; ok {
		r.register(v)
	}
	r.applyPreset()
	r.applyRegister(presetNamesCredential(extra["preset"]))
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return r.p, nil
}

// reader collects the policy and every problem found on the way.
type reader struct {
	p    *Policy
	errs Errors
}

// path builds an error path without aliasing the caller's slice.
func path(base []any, more ...any) []any {
	return append(append(make([]any, 0, len(base)+len(more)), base...), more...)
}

func (r *reader) fail(at []any, msg, fix string) *Error {
	e := &Error{Path: at, Message: msg, Fix: fix}
	r.errs = append(r.errs, e)
	return e
}

// keys checks the keys of m against allowed, reporting each unknown one at
// the key, and returns m's keys sorted so problems come out in a stable order.
func (r *reader) keys(m map[string]any, at []any, allowed []string, hints map[string]string) {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		if slices.Contains(allowed, k) {
			continue
		}
		e := r.fail(path(at, k), fmt.Sprintf("unknown key %q", k), "known keys: "+strings.Join(allowed, ", "))
		e.Key = true
		if h, ok := hints[k]; ok {
			e.Fix = h
		} else {
			e.Choices = allowed
		}
	}
}

var verifyHints = map[string]string{
	"secret":  "secrets never go in the workflow file: store it in a webhook_secret credential and name that with credential",
	"secrets": "secrets never go in the workflow file: store them in a webhook_secret credential and name that with credential",
}

func (r *reader) verify(v any) {
	at := []any{"verify"}
	switch t := v.(type) {
	case nil:
	case map[string]any:
		if c, ok := r.verifyEntry(t, at); ok {
			r.p.Verify = []verifyspec.Config{c}
		}
	case []any:
		if len(t) == 0 {
			r.fail(at, "the list is empty", "give at least one {scheme: …}, or remove verify")
			return
		}
		for i, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				r.fail(path(at, i), "must be a mapping, not "+describe(e), verifyShape(e))
				continue
			}
			if c, ok := r.verifyEntry(m, path(at, i)); ok {
				r.p.Verify = append(r.p.Verify, c)
			}
		}
	default:
		r.fail(at, "must be a mapping or a list of them, not "+describe(v), verifyShape(v))
	}
}

// verifyShape is the fix for a verify entry that is not a mapping: a bare
// scheme name gets its own example.
func verifyShape(v any) string {
	if s, ok := v.(string); ok && slices.Contains(verifyspec.Schemes, s) {
		if slices.Contains(verifyspec.Requires(s), "credential") {
			return fmt.Sprintf("write it like {scheme: %s, credential: <the credential's name>}", s)
		}
		return fmt.Sprintf("write it like {scheme: %s, …}", s)
	}
	return "write it like {scheme: stripe, credential: stripe-webhook}"
}

// verifyEntry reads one {scheme: …} mapping; ok is false when it had
// problems.
func (r *reader) verifyEntry(m map[string]any, at []any) (verifyspec.Config, bool) {
	before := len(r.errs)
	r.keys(m, at, verifyspec.ConfigKeys(), verifyHints)
	var c verifyspec.Config
	str := func(key string, dst *string) {
		switch s := m[key].(type) {
		case nil:
		case string:
			*dst = s
		default:
			r.fail(path(at, key), "must be a string, not "+describe(s), "")
		}
	}
	list := func(key string, dst *[]string) {
		switch l := m[key].(type) {
		case nil:
		case string:
			*dst = []string{l}
		case []any:
			for i, e := range l {
				if s, ok := e.(string); ok {
					*dst = append(*dst, s)
				} else {
					r.fail(path(at, key, i), "must be a string, not "+describe(e), "")
				}
			}
		default:
			r.fail(path(at, key), "must be a list of strings, not "+describe(l), "")
		}
	}
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"scheme", &c.Scheme}, {"credential", &c.Credential}, {"algorithm", &c.Algorithm},
		{"header", &c.Header}, {"encoding", &c.Encoding}, {"prefix", &c.Prefix},
		{"timestamp_header", &c.TimestampHeader}, {"template", &c.Template},
		{"public_key", &c.PublicKey}, {"jwks_url", &c.JWKSURL}, {"audience", &c.Audience},
		{"issuer", &c.Issuer}, {"ca", &c.CA},
	} {
		str(f.key, f.dst)
	}
	list("algorithms", &c.Algorithms)
	list("subjects", &c.Subjects)
	if t, ok := m["tolerance"]; ok {
		if d, ok := r.duration(t, path(at, "tolerance"), "5m"); ok {
			c.Tolerance = d.D()
		}
	}
	// A key already reported (a number where a string belongs) is not
	// also reported as missing.
	reported := map[string]bool{}
	for _, e := range r.errs[before:] {
		if len(e.Path) > len(at) {
			reported[fmt.Sprint(e.Path[len(at)])] = true
		}
	}
	for _, p := range c.Problems() {
		if reported[p.Field] || (p.Field != "scheme" && reported["scheme"]) {
			continue
		}
		e := r.fail(at, p.Message, p.Fix)
		if p.Field != "" {
			e.Path = path(at, p.Field)
		}
		e.Choices = p.Choices
	}
	return c, len(r.errs) == before
}

// duration reads a positive duration (30s, 5m, 2h, 7d).
func (r *reader) duration(v any, at []any, example string) (weft.Duration, bool) {
	s, ok := v.(string)
	if !ok {
		r.fail(at, "must be a duration, not "+describe(v), "write it like "+example)
		return 0, false
	}
	d, err := weft.ParseDuration(s)
	if err != nil {
		r.fail(at, err.Error(), "")
		return 0, false
	}
	if d <= 0 {
		r.fail(at, "must be longer than 0", "write it like "+example)
		return 0, false
	}
	return d, true
}

const dedupeFix = `use auto (the provider's delivery id), off, or an expression like "{{ trigger.body.id }}"`

func (r *reader) dedupe(v any) {
	at := []any{"dedupe"}
	key := v
	if m, ok := v.(map[string]any); ok {
		r.keys(m, at, []string{"key", "window"}, nil)
		if w, ok := m["window"]; ok {
			if d, ok := r.duration(w, path(at, "window"), "24h or 7d"); ok {
				r.p.Dedupe.Window = d.D()
			}
		}
		k, ok := m["key"]
		if !ok {
			r.fail(at, "needs a key", dedupeFix)
			return
		}
		key, at = k, path(at, "key")
	}
	switch s, isStr := key.(string); {
	case key == false || s == DedupeOff:
		r.p.Dedupe.Mode = DedupeOff
	case s == DedupeAuto:
		r.p.Dedupe.Mode = DedupeAuto
	case isStr && expr.HasTemplate(s):
		r.dedupeExpr(s, at)
	case isStr && s != "":
		e := r.fail(at, quote(s)+" is not auto, off or an expression", dedupeFix)
		if _, err := expr.Compile("{{ " + s + " }}"); err == nil && strings.Contains(s, ".") {
			e.Fix = fmt.Sprintf("write an expression inside {{ }}: \"{{ %s }}\"", s)
		} else {
			e.Choices = []string{DedupeAuto, DedupeOff}
		}
	default:
		r.fail(at, "must be auto, off or an expression, not "+describe(key), dedupeFix)
	}
}

func (r *reader) dedupeExpr(s string, at []any) {
	t, err := expr.Compile(s)
	if err != nil {
		msg := err.Error()
		var ee *expr.Error
		if errors.As(err, &ee) {
			msg = ee.Message
		}
		e := r.fail(at, msg, "")
		e.Err = err
		return
	}
	// The key is computed before any step runs.
	for _, ref := range t.References() {
		e := r.fail(at, fmt.Sprintf("reads steps.%s, but dedupe runs before any step", ref.Step), "use trigger (like trigger.body.id or trigger.headers['x-request-id'])")
		e.Err = &expr.Error{Offset: ref.Offset, Message: e.Message}
	}
	r.p.Dedupe.Mode, r.p.Dedupe.Expr = DedupeExpr, t
}

func (r *reader) allowIPs(v any) {
	at := []any{"allow_ips"}
	var items []any
	switch t := v.(type) {
	case string:
		if pfx, err := ParsePrefix(t); err != nil {
			r.prefixError(err, at)
		} else {
			r.p.AllowIPs = []netip.Prefix{pfx}
		}
		return
	case []any:
		items = t
	default:
		r.fail(at, "must be a list of CIDRs or addresses, not "+describe(v), `write it like [203.0.113.0/24, "2001:db8::/32"]`)
		return
	}
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			r.fail(path(at, i), "must be a CIDR or an address, not "+describe(it), "write it like 203.0.113.0/24")
			continue
		}
		pfx, err := ParsePrefix(s)
		if err != nil {
			r.prefixError(err, path(at, i))
			continue
		}
		r.p.AllowIPs = append(r.p.AllowIPs, pfx)
	}
}

func (r *reader) prefixError(err error, at []any) {
	var pe *Error
	if errors.As(err, &pe) {
		r.fail(at, pe.Message, pe.Fix)
		return
	}
	r.fail(at, err.Error(), "")
}

var rateKeys = []string{"per_second", "per_minute", "burst"}

func (r *reader) rate(v any) {
	at := []any{"rate_limit"}
	m, ok := v.(map[string]any)
	if !ok {
		fix := "write it like {per_second: 50, burst: 100}"
		if n, isNum := number(v); isNum {
			fix = fmt.Sprintf("write it like {per_second: %v}", n)
		}
		r.fail(at, "must be a mapping, not "+describe(v), fix)
		return
	}
	r.keys(m, at, rateKeys, nil)
	positive := func(key string) (float64, bool) {
		n, isNum := number(m[key])
		if !isNum || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
			r.fail(path(at, key), "must be a number above 0, not "+describe(m[key]), "write it like "+key+": 50")
			return 0, false
		}
		return n, true
	}
	_, hasSec := m["per_second"]
	_, hasMin := m["per_minute"]
	switch {
	case hasSec && hasMin:
		r.fail(path(at, "per_minute"), "is set together with per_second", "set one of them")
	case hasSec:
		if n, ok := positive("per_second"); ok {
			r.p.Rate.PerSecond = n
		}
	case hasMin:
		if n, ok := positive("per_minute"); ok {
			r.p.Rate.PerSecond = n / 60
		}
	default:
		r.fail(at, "needs per_second or per_minute", "write it like {per_second: 50, burst: 100}")
	}
	if b, ok := m["burst"]; ok {
		n, isNum := number(b)
		if !isNum || n < 1 || n != math.Trunc(n) || n > math.MaxInt32 {
			r.fail(path(at, "burst"), "must be a whole number of at least 1, not "+describe(b), "it is how many requests may come at once")
		} else {
			r.p.Rate.Burst = int(n)
		}
	} else if r.p.Rate.PerSecond > 0 {
		r.p.Rate.Burst = max(1, int(r.p.Rate.PerSecond))
	}
	if len(r.errs) > 0 {
		r.p.Rate = Rate{}
	}
}

// number reads the numeric kinds YAML and JSON decoding produce.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// presetNamesCredential reports `preset: {app: x, credential: y}`.
func presetNamesCredential(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	c, _ := m["credential"].(string)
	return c != ""
}
