package webhook

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/weftworks/weft/internal/logbound"
	"github.com/weftworks/weft/store"
)

// refused reports whether an outcome is a refusal: something an
// unauthenticated caller can produce at will, so its cost must stay bounded.
func refused(outcome string) bool {
	switch outcome {
	case store.OutcomeAccepted, store.OutcomeDuplicate, store.OutcomeChallenge, store.OutcomeIgnored, store.OutcomeReplayed:
		return false
	}
	return true
}

// finish counts a refusal and writes the delivery log row when it may be
// written: requests to paths no workflow listens on are only counted (as
// Svix and Stripe do not log calls to endpoints that do not exist), and
// other refusals are logged at most at the per-source rate.
func (h *Handler) finish(d store.WebhookDelivery) {
	if refused(d.Outcome) {
		h.cfg.Metrics.WebhookRefused(d.Outcome)
		if d.Outcome == store.OutcomeNotListening && d.Workflow == "" {
			return
		}
		ok, dropped := h.refusals.Allow(d.SourceIP, d.ReceivedAt)
		if dropped > 0 {
			h.cfg.Logger.Warn("left refused webhook requests out of the delivery log: their sources sent more than the per-source limit",
				"count", dropped)
		}
		if !ok {
			h.cfg.Metrics.Suppressed("delivery_log", 1)
			return
		}
	}
	h.rec.record(clipDelivery(d))
}

// maxReason bounds a refusal's reason, which may quote the request.
const maxReason = 512

// clipDelivery bounds the strings of a delivery log row that the caller
// controls. The kept request (Request) is bounded by maxKeptRequest and
// the server's header limit.
func clipDelivery(d store.WebhookDelivery) store.WebhookDelivery {
	d.Path = logbound.Clip(d.Path, logbound.MaxString)
	d.Method = logbound.Clip(d.Method, 32)
	d.Reason = logbound.Clip(d.Reason, maxReason)
	d.Scheme = logbound.Clip(d.Scheme, logbound.MaxString)
	d.KeyID = logbound.Clip(d.KeyID, logbound.MaxString)
	d.DedupeKey = logbound.Clip(d.DedupeKey, logbound.MaxString)
	return d
}

// cacheKey keys the route cache: long paths by their hash, so a flood of
// long unknown paths cannot fill memory with them.
func cacheKey(path string) string {
	if len(path) <= 128 {
		return path
	}
	sum := sha256.Sum256([]byte(path))
	return "sha256:" + hex.EncodeToString(sum[:])
}
