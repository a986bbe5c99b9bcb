package webhook

import (
	"context"
	"net/http"

	"github.com/weftworks/weft/trigger/webhook/policy"
	"github.com/weftworks/weft/trigger/webhook/verify"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// VerifyResume checks a call of a resume URL against the waiting step's
// `with.verify` (configs, parsed when the workflow was saved), with the
// same verifiers and webhook_secret credentials as on.webhook.verify. The
// armed verifiers are cached per workflow version and step, so a JWKS
// cache is shared by the calls of one step. body is the raw body as
// received; the caller has read it under its own limit.
func (h *Handler) VerifyResume(ctx context.Context, workflow string, version int64, stepID string, configs []verifyspec.Config,
	r *http.Request, body []byte) (verify.Result, error) {
	// "\x00" cannot be in a workflow name: the key never meets a webhook's.
	armed, err := h.policies.get(workflow+"\x00resume\x00"+stepID, version, &policy.Policy{Verify: configs})
	if err != nil {
		return verify.Result{}, &verify.Error{Scheme: configs[0].Scheme, Reason: verify.ReasonKeySource, Detail: err.Error()}
	}
	vr := verify.FromHTTP(r, body, h.cfg.Now())
	vr.PublicURL = h.cfg.PublicURL
	return h.verifyRequest(ctx, workflow, armed, vr)
}
