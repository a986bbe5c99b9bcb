package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/trigger/webhook/verify"
)

// DefaultDedupeWindow is how long a delivery id is remembered.
const DefaultDedupeWindow = 7 * 24 * time.Hour

// Policy is the security and admission part of on.webhook (verify, dedupe,
// allow_ips, rate_limit), compiled once per workflow version.
type Policy struct {
	Verify    []verify.Config
	verifiers []verify.Verifier
	// Dedupe is "auto", "off" or empty, or DedupeExpr is set.
	Dedupe       string
	DedupeExpr   *expr.Template
	DedupeWindow time.Duration
	AllowIPs     []netip.Prefix
	// RatePerSecond and RateBurst configure the per-webhook token bucket
	// (per process); zero means no limit.
	RatePerSecond float64
	RateBurst     int
	limiter       *bucket
}

// ParsePolicy reads the extra keys of on.webhook. Errors name the key and
// the fix; the workflow parser reports them at the key's line and column.
func ParsePolicy(extra map[string]any) (*Policy, error) {
	p := &Policy{DedupeWindow: DefaultDedupeWindow}
	if len(extra) == 0 {
		return p, nil
	}
	var err error
	if v, ok := extra["verify"]; ok {
		if p.Verify, err = verify.ParseConfigs(v); err != nil {
			return nil, err
		}
	}
	if v, ok := extra["dedupe"]; ok {
		if err := p.parseDedupe(v); err != nil {
			return nil, err
		}
	}
	if v, ok := extra["allow_ips"]; ok {
		if p.AllowIPs, err = parsePrefixes("allow_ips", v); err != nil {
			return nil, err
		}
	}
	if v, ok := extra["rate_limit"]; ok {
		if err := p.parseRate(v); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Policy) parseDedupe(v any) error {
	key := v
	if m, ok := v.(map[string]any); ok {
		for k := range m {
			if k != "key" && k != "window" {
				return fmt.Errorf("dedupe: unknown key %q (use key and window)", k)
			}
		}
		key = m["key"]
		if w, ok := m["window"]; ok {
			s, _ := w.(string)
			d, err := weft.ParseDuration(s)
			if err != nil || d.D() <= 0 {
				return fmt.Errorf("dedupe.window must be a positive duration like 24h or 7d")
			}
			p.DedupeWindow = d.D()
		}
	}
	switch s, _ := key.(string); {
	case key == false || s == "off":
		p.Dedupe = "off"
	case s == "auto":
		p.Dedupe = "auto"
	case expr.HasTemplate(s):
		t, err := expr.Compile(s)
		if err != nil {
			return fmt.Errorf("dedupe: %w", err)
		}
		p.DedupeExpr = t
	default:
		return fmt.Errorf(`dedupe must be auto (the provider's delivery id), off, or an expression like "{{ trigger.body.id }}"`)
	}
	return nil
}

func parsePrefixes(key string, v any) ([]netip.Prefix, error) {
	var items []any
	switch t := v.(type) {
	case []any:
		items = t
	case string:
		items = []any{t}
	default:
		return nil, fmt.Errorf("%s must be a list of CIDRs or addresses like [203.0.113.0/24, 2001:db8::/32]", key)
	}
	out := make([]netip.Prefix, 0, len(items))
	for _, it := range items {
		s, _ := it.(string)
		pfx, err := ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, pfx)
	}
	return out, nil
}

// ParsePrefix reads a CIDR or a single address (IPv4 or IPv6).
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("%q is not a CIDR like 203.0.113.0/24", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (p *Policy) parseRate(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New("rate_limit must be a mapping like {per_second: 50, burst: 100}")
	}
	for k := range m {
		if k != "per_second" && k != "per_minute" && k != "burst" {
			return fmt.Errorf("rate_limit: unknown key %q (use per_second or per_minute, and burst)", k)
		}
	}
	num := func(k string) (float64, bool) {
		switch n := m[k].(type) {
		case int:
			return float64(n), true
		case int64:
			return float64(n), true
		case float64:
			return n, true
		}
		return 0, false
	}
	if n, ok := num("per_second"); ok {
		p.RatePerSecond = n
	} else if n, ok := num("per_minute"); ok {
		p.RatePerSecond = n / 60
	}
	if p.RatePerSecond <= 0 {
		return errors.New("rate_limit needs a positive per_second or per_minute")
	}
	if n, ok := num("burst"); ok {
		if n < 1 {
			return errors.New("rate_limit.burst must be at least 1")
		}
		p.RateBurst = int(n)
	} else {
		p.RateBurst = max(1, int(p.RatePerSecond))
	}
	return nil
}

// compile builds the verifiers and the limiter.
func (p *Policy) compile(opts verify.Options) error {
	for i, c := range p.Verify {
		v, err := verify.New(c, opts)
		if err != nil {
			return fmt.Errorf("verify[%d]: %w", i, err)
		}
		p.verifiers = append(p.verifiers, v)
	}
	if p.RatePerSecond > 0 {
		p.limiter = newBucket(p.RatePerSecond, p.RateBurst)
	}
	return nil
}

// empty reports a policy that checks nothing (the fast path).
func (p *Policy) empty() bool {
	return len(p.Verify) == 0 && p.Dedupe == "" && p.DedupeExpr == nil && len(p.AllowIPs) == 0 && p.limiter == nil
}

// policies caches compiled policies by workflow name and version.
type policies struct {
	opts verify.Options
	mu   sync.Mutex
	m    map[policyKey]*Policy
}

type policyKey struct {
	name    string
	version int64
}

var emptyPolicy = &Policy{}

func (ps *policies) get(name string, version int64, trig *weft.WebhookTrigger) (*Policy, error) {
	if len(trig.Extra) == 0 {
		return emptyPolicy, nil
	}
	k := policyKey{name, version}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p, ok := ps.m[k]; ok {
		return p, nil
	}
	p, err := ParsePolicy(trig.Extra)
	if err == nil {
		err = p.compile(ps.opts)
	}
	if err != nil {
		return nil, err
	}
	if ps.m == nil || len(ps.m) > 4096 {
		ps.m = map[policyKey]*Policy{}
	}
	ps.m[k] = p
	return p, nil
}

// secretsFor loads the secrets of each verify entry.
func (h *Handler) verifyRequest(ctx context.Context, workflow string, p *Policy, req *verify.Request) (verify.Result, error) {
	var first error
	for i, c := range p.Verify {
		var secrets []verify.Secret
		if c.NeedsSecrets() {
			if h.cfg.Secrets == nil {
				return verify.Result{}, &verify.Error{Scheme: c.Scheme, Reason: verify.ReasonNoSecret, Detail: "no credential store is configured"}
			}
			got, err := h.cfg.Secrets.WebhookSecrets(ctx, c.Credential, workflow)
			if err != nil {
				h.cfg.Logger.Warn("loading webhook secrets", "workflow", workflow, "credential", c.Credential, "err", err)
				if first == nil {
					first = &verify.Error{Scheme: c.Scheme, Reason: verify.ReasonNoSecret, Detail: fmt.Sprintf("credential %q is not available to this workflow", c.Credential)}
				}
				continue
			}
			secrets = make([]verify.Secret, len(got))
			for j, s := range got {
				secrets[j] = verify.Secret{ID: s.ID, Value: s.Value}
			}
		}
		res, err := p.verifiers[i].Verify(ctx, req, secrets)
		if err == nil {
			return res, nil
		}
		if first == nil {
			first = err
		}
	}
	return verify.Result{}, first
}
