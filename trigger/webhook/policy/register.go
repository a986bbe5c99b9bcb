package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// Registrable are the presets whose webhooks Weft can register at the
// provider (on.webhook.register).
var Registrable = []string{verifyspec.SchemeStripe, verifyspec.SchemeGitHub}

// RegisteredCredential stands, in a verify entry, for the signing secret
// Weft stored when it registered the workflow's webhook; the handler reads
// RegisteredSecretName(workflow) instead.
const RegisteredCredential = "@registered"

// Register is a parsed on.webhook.register: subscribe this webhook at the
// provider through a connection.
type Register struct {
	// Connection is the credential the provider's API is called with.
	Connection string
	// Events are the event types subscribed to.
	Events []string
	// Repo is owner/name (GitHub repository hooks).
	Repo string
}

// RegisteredSecretName is the webhook_secret credential holding the signing
// secret of workflow's registered webhook.
func RegisteredSecretName(workflow string) string {
	name := "registered-" + workflow
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(workflow))
	return name[:50] + "-" + hex.EncodeToString(sum[:])[:12]
}

// register reads `register: {connection: stripe, events: [...], repo: o/r}`.
func (r *reader) register(v any) {
	at := []any{"register"}
	m, ok := v.(map[string]any)
	if !ok {
		r.fail(at, "must be a mapping, not "+describe(v), "write register: {connection: stripe, events: [payment_intent.succeeded]}")
		return
	}
	r.keys(m, at, []string{"connection", "events", "repo"}, map[string]string{
		"secret": "the signing secret is made at registration and kept in the credential vault: remove secret",
	})
	var reg Register
	reg.Connection, _ = m["connection"].(string)
	if reg.Connection == "" {
		r.fail(path(at, "connection"), "is required", "name the credential Weft calls the provider's API with, like connection: stripe")
	}
	list, ok := m["events"].([]any)
	if !ok || len(list) == 0 {
		r.fail(path(at, "events"), "must be a non-empty list of event types", "write events: [payment_intent.succeeded] (Stripe) or events: [issues, push] (GitHub)")
	}
	for i, e := range list {
		s, ok := e.(string)
		if !ok || s == "" || len(s) > 200 {
			r.fail(path(at, "events", i), "must be an event type", "like payment_intent.succeeded or issues")
			continue
		}
		reg.Events = append(reg.Events, s)
	}
	if len(reg.Events) > 256 {
		r.fail(path(at, "events"), "lists more than 256 events", "subscribe to fewer events, or to \"*\"")
	}
	if v, ok := m["repo"]; ok {
		reg.Repo, _ = v.(string)
		if o, n, ok := strings.Cut(reg.Repo, "/"); !ok || o == "" || n == "" || strings.Contains(n, "/") {
			r.fail(path(at, "repo"), "must be owner/name", "write repo: octo-org/hello-world")
		}
	}
	r.p.Register = &reg
}

// applyRegister checks register against the preset and points the preset's
// verification at the registered secret unless a credential was named.
func (r *reader) applyRegister(presetCredential bool) {
	reg := r.p.Register
	if reg == nil {
		return
	}
	p := r.p.Preset
	if p == nil || !slices.Contains(Registrable, p.App) {
		r.fail([]any{"register"}, "needs preset: stripe or preset: github", "add preset: stripe or preset: github so Weft knows the provider's API")
		return
	}
	if p.App == verifyspec.SchemeGitHub && reg.Repo == "" {
		r.fail([]any{"register"}, "needs repo: GitHub hooks belong to a repository", "add repo: owner/name")
	}
	if p.App != verifyspec.SchemeGitHub && reg.Repo != "" {
		r.fail([]any{"register", "repo"}, "is only for preset: github", "remove repo")
	}
	if presetCredential {
		return
	}
	p.Credential = RegisteredCredential
	for i := range r.p.Verify {
		if r.p.Verify[i].Scheme == p.App && r.p.Verify[i].Credential == p.App+"-webhook" {
			r.p.Verify[i].Credential = RegisteredCredential
		}
	}
}
