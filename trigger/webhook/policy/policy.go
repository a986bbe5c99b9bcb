package policy

import (
	"net/netip"
	"strings"
	"time"

	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// DefaultDedupeWindow is how long a delivery id is remembered.
const DefaultDedupeWindow = 7 * 24 * time.Hour

// Keys are the keys of on.webhook this package reads. Other keys of
// weft.WebhookTrigger.Extra are left alone.
var Keys = []string{"verify", "dedupe", "allow_ips", "rate_limit", "preset", "events", "register"}

// Policy is the parsed security and admission part of on.webhook.
type Policy struct {
	// Verify lists the accepted verification schemes; any one passing is
	// enough. Empty: requests are not verified.
	Verify   []verifyspec.Config
	Dedupe   Dedupe
	AllowIPs []netip.Prefix
	Rate     Rate
	// Preset is the app whose webhooks these are (on.webhook.preset);
	// nil for none.
	Preset *Preset
	// Events lists the event types that start an execution; others are
	// acknowledged and dropped. Empty: every event.
	Events []string
	// Register subscribes the webhook at the provider; nil for none.
	Register *Register
}

// Dedupe modes.
const (
	DedupeNone = ""     // no dedupe key was set
	DedupeOff  = "off"  // explicitly off
	DedupeAuto = "auto" // the provider's delivery id
	DedupeExpr = "expr" // the value of Expr
)

// Dedupe says how a delivery's dedupe key is found.
type Dedupe struct {
	Mode string
	// Expr is the key expression when Mode is DedupeExpr. It sees only
	// trigger: it runs before any step.
	Expr *expr.Template
	// Window is how long a key is remembered (DefaultDedupeWindow unless
	// set).
	Window time.Duration
}

// Enabled reports whether deliveries get a dedupe key.
func (d Dedupe) Enabled() bool { return d.Mode == DedupeAuto || d.Mode == DedupeExpr }

// Rate is a per-webhook token bucket; zero PerSecond means no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Empty reports a policy that checks nothing (the handler's fast path).
func (p *Policy) Empty() bool {
	return len(p.Verify) == 0 && !p.Dedupe.Enabled() && len(p.AllowIPs) == 0 && p.Rate.PerSecond <= 0
}

// ParsePrefix reads a CIDR or a single address (IPv4 or IPv6); host bits of
// a CIDR are dropped.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, &Error{Message: quote(s) + " is not a CIDR", Fix: "write it like 203.0.113.0/24 or 2001:db8::/32"}
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, &Error{Message: quote(s) + " is not an IP address or CIDR", Fix: "write an address like 203.0.113.7 or a CIDR like 203.0.113.0/24"}
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
