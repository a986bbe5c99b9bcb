package webhook

import (
	"net/http"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// eventType reads the event type of a delivery from where its app puts
// it: Stripe's body.type, GitHub's X-GitHub-Event header (with ".action"
// when the body has one, e.g. issues.opened), Slack's body.event.type (an
// Events API callback) or body.type, HubSpot's subscriptionType (of the
// first event of a batch).
func eventType(app string, h http.Header, body any) string {
	m, _ := body.(map[string]any)
	str := func(v any) string { s, _ := v.(string); return s }
	switch app {
	case verifyspec.SchemeStripe:
		return str(m["type"])
	case verifyspec.SchemeGitHub:
		ev := h.Get("X-GitHub-Event")
		if a := str(m["action"]); a != "" {
			return ev + "." + a
		}
		return ev
	case verifyspec.SchemeHubSpot:
		// A batch of events: the first one's subscriptionType
		// (contact.creation).
		if list, ok := body.([]any); ok && len(list) > 0 {
			m, _ = list[0].(map[string]any)
		}
		return str(m["subscriptionType"])
	case verifyspec.SchemeSlack:
		if ev, ok := m["event"].(map[string]any); ok {
			return str(ev["type"])
		}
		return str(m["type"])
	}
	return ""
}
