package webhook

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/weftworks/weft/trigger/webhook/policy"
	"github.com/weftworks/weft/trigger/webhook/verify"
)

// armed is a workflow version's policy, parsed and checked when the workflow
// was compiled (package policy), with what requests need of this process:
// the verifiers (JWKS caches) and the rate limiter.
type armed struct {
	*policy.Policy
	verifiers []verify.Verifier
	limiter   *bucket
	// redact names the headers never kept: the default ones and those a
	// verify entry reads a credential from, whatever their name.
	redact map[string]bool
}

// arm builds the verifiers and the limiter. It can still fail on what only
// the server has: an mtls CA file that is missing or holds no certificate.
func arm(p *policy.Policy, opts verify.Options) (*armed, error) {
	a := &armed{Policy: p, redact: redactedHeaders}
	for _, c := range p.Verify {
		for _, h := range c.SecretHeaders() {
			if !a.redact[h] {
				a.redact = maps.Clone(a.redact)
				a.redact[h] = true
			}
		}
	}
	for i, c := range p.Verify {
		v, err := verify.New(c, opts)
		if err != nil {
			return nil, fmt.Errorf("verify[%d]: %w", i, err)
		}
		a.verifiers = append(a.verifiers, v)
	}
	if p.Rate.PerSecond > 0 {
		a.limiter = newBucket(p.Rate.PerSecond, p.Rate.Burst)
	}
	return a, nil
}

// unarmed is every policy that checks nothing (the fast path).
var unarmed = &armed{Policy: &policy.Policy{}, redact: redactedHeaders}

// policies caches armed policies by workflow name and version, so a
// version's limiter and JWKS caches are shared by all its requests.
type policies struct {
	opts verify.Options
	mu   sync.RWMutex
	m    map[policyKey]*armed
}

type policyKey struct {
	name    string
	version int64
}

func (ps *policies) get(name string, version int64, p *policy.Policy) (*armed, error) {
	if p == nil || p.Empty() {
		return unarmed, nil
	}
	k := policyKey{name, version}
	ps.mu.RLock()
	a, ok := ps.m[k]
	ps.mu.RUnlock()
	if ok {
		return a, nil
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if a, ok := ps.m[k]; ok {
		return a, nil
	}
	a, err := arm(p, ps.opts)
	if err != nil {
		return nil, err
	}
	if ps.m == nil || len(ps.m) > 4096 {
		ps.m = map[policyKey]*armed{}
	}
	ps.m[k] = a
	return a, nil
}

// verifyRequest checks req against each verify entry in turn, loading the
// secrets of those that need them; the first that passes wins.
func (h *Handler) verifyRequest(ctx context.Context, workflow string, p *armed, req *verify.Request) (verify.Result, error) {
	var first error
	for i, c := range p.Verify {
		var secrets []verify.Secret
		if c.NeedsSecrets() {
			if h.cfg.Secrets == nil {
				return verify.Result{}, &verify.Error{Scheme: c.Scheme, Reason: verify.ReasonNoSecret, Detail: "no credential store is configured"}
			}
			name := c.Credential
			if name == policy.RegisteredCredential {
				name = policy.RegisteredSecretName(workflow)
			}
			got, err := h.cfg.Secrets.WebhookSecrets(ctx, name, workflow)
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
