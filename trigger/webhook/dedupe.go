package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/trigger/webhook/policy"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// autoDeliveryID finds the provider's delivery id: a header where the
// provider sends one, else the event id in the body for the providers that
// put it there (Stripe's event id, Slack's event_id). The source prefix
// keeps ids of different providers apart.
func autoDeliveryID(h http.Header, body any, scheme string) string {
	for _, hd := range []struct{ name, source string }{
		{"X-GitHub-Delivery", "github"},
		{"Webhook-Id", "webhook"},
		{"Svix-Id", "svix"},
		{"X-Shopify-Webhook-Id", "shopify"},
	} {
		if v := h.Get(hd.name); v != "" {
			return hd.source + ":" + v
		}
	}
	m, _ := body.(map[string]any)
	if m == nil {
		return ""
	}
	if scheme == verifyspec.SchemeStripe || h.Get("Stripe-Signature") != "" {
		if id, ok := m["id"].(string); ok && id != "" {
			return "stripe:" + id
		}
	}
	if scheme == verifyspec.SchemeSlack || h.Get("X-Slack-Signature") != "" {
		if id, ok := m["event_id"].(string); ok && id != "" {
			return "slack:" + id
		}
	}
	return ""
}

// dedupeKey returns the key of this delivery, or "" for none.
func dedupeKey(ctx context.Context, p policy.Dedupe, h http.Header, value map[string]any, scheme string) (string, error) {
	switch p.Mode {
	case policy.DedupeExpr:
		v, err := p.Expr.Eval(ctx, expr.Scope{"trigger": value})
		if err != nil {
			return "", fmt.Errorf("evaluating dedupe: %w", err)
		}
		switch t := v.(type) {
		case nil:
			return "", nil
		case string:
			if t == "" {
				return "", nil
			}
			return "expr:" + t, nil
		}
		b, _ := json.Marshal(v)
		return "expr:" + string(b), nil
	case policy.DedupeAuto:
		return autoDeliveryID(h, value["body"], scheme), nil
	}
	return "", nil
}
