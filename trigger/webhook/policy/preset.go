package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// Presets are the apps whose webhooks on.webhook.preset sets up: the
// verification scheme, dedupe by the provider's delivery id and where the
// event type is read for `events:`.
var Presets = []string{verifyspec.SchemeStripe, verifyspec.SchemeGitHub, verifyspec.SchemeSlack, verifyspec.SchemeHubSpot}

// Preset is a parsed on.webhook.preset.
type Preset struct {
	App string
	// Credential holds the signing secret (default "<app>-webhook").
	Credential string
}

// preset reads `preset: stripe` or `preset: {app: stripe, credential: x}`.
func (r *reader) preset(v any) {
	at := []any{"preset"}
	var p Preset
	switch x := v.(type) {
	case string:
		p.App = x
	case map[string]any:
		r.keys(x, at, []string{"app", "credential"}, nil)
		p.App, _ = x["app"].(string)
		p.Credential, _ = x["credential"].(string)
	default:
		r.fail(at, "must be an app name or {app, credential}", "write preset: stripe, or preset: {app: stripe, credential: stripe-signing}")
		return
	}
	if !slices.Contains(Presets, p.App) {
		r.fail(at, fmt.Sprintf("unknown preset %q", p.App), "use one of "+strings.Join(Presets, ", ")+", or verify: for other senders")
		return
	}
	if p.Credential == "" {
		p.Credential = p.App + "-webhook"
	}
	r.p.Preset = &p
}

// events reads `events: [payment_intent.succeeded, "customer.*"]`.
func (r *reader) events(v any) {
	at := []any{"events"}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		r.fail(at, "must be a non-empty list of event types", `write events: [payment_intent.succeeded, "invoice.*"]`)
		return
	}
	for i, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			r.fail(path(at, i), "must be an event type", `like payment_intent.succeeded, "invoice.*" or "*"`)
			continue
		}
		r.p.Events = append(r.p.Events, s)
	}
}

// applyPreset completes the policy from its preset: the verification
// scheme (unless verify: is given) and dedupe by the provider's delivery id
// (unless dedupe: is given).
func (r *reader) applyPreset() {
	p := r.p.Preset
	if p == nil {
		if len(r.p.Events) > 0 {
			r.fail([]any{"events"}, "needs preset: the preset says where the event type is", "add preset: stripe, github or slack")
		}
		return
	}
	if len(r.p.Verify) == 0 {
		r.p.Verify = []verifyspec.Config{{Scheme: p.App, Credential: p.Credential, Tolerance: verifyspec.DefaultTolerance}}
	}
	if r.p.Dedupe.Mode == DedupeNone {
		r.p.Dedupe.Mode = DedupeAuto
	}
}

// EventMatches reports whether typ is one of the accepted events: equal,
// a prefix given as "prefix.*", or "*".
func (p *Policy) EventMatches(typ string) bool {
	if len(p.Events) == 0 {
		return true
	}
	for _, e := range p.Events {
		switch {
		case e == "*", e == typ:
			return true
		case strings.HasSuffix(e, ".*") && strings.HasPrefix(typ, strings.TrimSuffix(e, "*")):
			return true
		}
	}
	return false
}
