package register

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/webhook/policy"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
	"github.com/weftworks/weft/workflow"
)

// Engine returns a workflow's compiled active version.
type Engine interface {
	Compiled(ctx context.Context, name string) (weft.WorkflowRecord, *workflow.Compiled, error)
}

// Store is what the registrar reads and writes.
type Store interface {
	ListWorkflows(ctx context.Context, page store.Page) ([]weft.WorkflowRecord, string, error)
	store.Registrations
}

// Secrets keeps the signing secrets (the credential vault).
type Secrets interface {
	// HasSecret reports whether the webhook_secret credential name exists.
	HasSecret(ctx context.Context, name, workflow string) bool
	// PutSecret stores value as the webhook_secret credential name, usable
	// by workflow only.
	PutSecret(ctx context.Context, name, workflow, value string) error
	// DeleteSecret removes the credential; a missing one is not an error.
	DeleteSecret(ctx context.Context, name string) error
}

// Connect builds the caller for a workflow's connection to app's API.
type Connect func(ctx context.Context, workflow, connection, app string) (*Caller, error)

// Config configures a Registrar.
type Config struct {
	Store   Store
	Engine  Engine
	Secrets Secrets
	Connect Connect
	// PublicURL is --public-url as given ("" when not set: registration
	// is refused with a clear error).
	PublicURL string
	// Prefix is where webhooks are mounted (default "/hooks/").
	Prefix string
	// Owner names this process in claims.
	Owner string
	// Tick is how often workflows are compared with the registrations
	// (default 1s).
	Tick time.Duration
	// Timeout bounds one registration attempt (default 30s).
	Timeout time.Duration
	// MaxBackoff caps the wait between failed attempts (default 5m).
	MaxBackoff time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
	// Providers by preset; default Stripe and GitHub.
	Providers map[string]Provider
}

// Registrar reconciles webhook subscriptions in the background.
type Registrar struct{ cfg Config }

// New checks cfg and returns a Registrar; nothing runs until Run.
func New(cfg Config) (*Registrar, error) {
	if cfg.Store == nil || cfg.Engine == nil || cfg.Secrets == nil || cfg.Connect == nil {
		return nil, errors.New("register: Store, Engine, Secrets and Connect are required")
	}
	if cfg.Owner == "" {
		return nil, errors.New("register: Owner is required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/hooks/"
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Providers == nil {
		cfg.Providers = map[string]Provider{verifyspec.SchemeStripe: Stripe{}, verifyspec.SchemeGitHub: GitHub{}}
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Registrar{cfg: cfg}, nil
}

// Run reconciles every Tick until ctx ends.
func (r *Registrar) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Tick)
	defer t.Stop()
	for {
		if err := r.Reconcile(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Error("reconciling webhook registrations", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// wanted is a workflow's subscription with its provider.
type wanted struct {
	app  string
	want Want
}

// Reconcile compares the workflows with the registrations once and works
// on every one that is due.
func (r *Registrar) Reconcile(ctx context.Context) error {
	wants, unknown, err := r.wants(ctx)
	if err != nil {
		return err
	}
	regs, err := r.cfg.Store.ListRegistrations(ctx)
	if err != nil {
		return err
	}
	have := map[string]weft.WebhookRegistration{}
	for _, reg := range regs {
		have[reg.Workflow] = reg
	}
	now := r.cfg.Now()
	for name, w := range wants {
		reg, ok := have[name]
		if ok && reg.Spec == specOf(w) && reg.State == weft.RegistrationRegistered &&
			r.cfg.Secrets.HasSecret(ctx, policy.RegisteredSecretName(name), name) {
			continue // in step; a lost secret re-keys the endpoint
		}
		if ok && reg.Spec == specOf(w) && reg.NextAttemptAt.After(now) {
			continue
		}
		r.attempt(ctx, name, func(ctx context.Context, reg weft.WebhookRegistration) (weft.WebhookRegistration, bool) {
			return r.ensure(ctx, reg, w), false
		})
	}
	for name, reg := range have {
		if _, ok := wants[name]; ok || unknown[name] || reg.NextAttemptAt.After(now) && reg.State == weft.RegistrationError {
			continue
		}
		r.attempt(ctx, name, func(ctx context.Context, reg weft.WebhookRegistration) (weft.WebhookRegistration, bool) {
			return r.remove(ctx, reg)
		})
	}
	return nil
}

// attempt claims workflow's row, runs f and records its outcome (or drops
// the row when f says so).
func (r *Registrar) attempt(ctx context.Context, name string, f func(context.Context, weft.WebhookRegistration) (weft.WebhookRegistration, bool)) {
	reg, claimed, err := r.cfg.Store.ClaimRegistration(ctx, name, r.cfg.Owner, r.cfg.Now(), r.cfg.Timeout+time.Minute)
	if err != nil || !claimed {
		if err != nil && ctx.Err() == nil {
			r.cfg.Logger.Error("claiming a webhook registration", "workflow", name, "err", err)
		}
		return
	}
	actx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	out, drop := f(actx, reg)
	cancel()
	// Recorded even while stopping, so the claim is released at once.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if drop {
		err = r.cfg.Store.DeleteRegistration(fctx, name, r.cfg.Owner)
	} else {
		out.UpdatedAt = r.cfg.Now()
		err = r.cfg.Store.FinishRegistration(fctx, r.cfg.Owner, out)
	}
	if err != nil {
		r.cfg.Logger.Error("recording a webhook registration", "workflow", name, "err", err)
	}
}

// wants lists the subscriptions of enabled workflows; unknown holds the
// workflows that did not compile, whose registrations are left alone.
func (r *Registrar) wants(ctx context.Context) (map[string]wanted, map[string]bool, error) {
	wants, unknown := map[string]wanted{}, map[string]bool{}
	page := store.Page{Limit: 500}
	for {
		recs, next, err := r.cfg.Store.ListWorkflows(ctx, page)
		if err != nil {
			return nil, nil, fmt.Errorf("listing workflows: %w", err)
		}
		for _, rec := range recs {
			if !rec.Enabled {
				continue
			}
			_, c, err := r.cfg.Engine.Compiled(ctx, rec.Name)
			if err != nil {
				unknown[rec.Name] = true
				continue
			}
			if !c.Workflow.IsEnabled() || c.Webhook == nil || c.Webhook.Register == nil || c.Webhook.Preset == nil || c.Workflow.On.Webhook == nil {
				continue
			}
			reg := c.Webhook.Register
			w := Want{Workflow: rec.Name, Connection: reg.Connection, Events: reg.Events, Repo: reg.Repo}
			if r.cfg.PublicURL != "" {
				w.URL = r.cfg.PublicURL + r.cfg.Prefix + strings.TrimPrefix(c.Workflow.On.Webhook.Path, "/")
			}
			wants[rec.Name] = wanted{app: c.Webhook.Preset.App, want: w}
		}
		if next == "" {
			return wants, unknown, nil
		}
		page.Cursor = next
	}
}

// spec is what a registration row remembers of the subscription.
type spec struct {
	App string `json:"app"`
	Want
}

func specOf(w wanted) string {
	b, _ := json.Marshal(spec{App: w.app, Want: w.want})
	return string(b)
}

// backoff is the wait after the n-th failure in a row: 1s, 2s, 4s … up to
// MaxBackoff.
func (r *Registrar) backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < r.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.cfg.MaxBackoff)
}

func (r *Registrar) failed(reg weft.WebhookRegistration, err error) weft.WebhookRegistration {
	reg.State, reg.LastError = weft.RegistrationError, err.Error()
	reg.Attempts++
	reg.NextAttemptAt = r.cfg.Now().Add(r.backoff(reg.Attempts))
	r.cfg.Logger.Warn("webhook registration failed", "workflow", reg.Workflow, "provider", reg.Provider, "attempt", reg.Attempts, "err", err)
	return reg
}

// ensure creates or updates the provider's endpoint for w.
func (r *Registrar) ensure(ctx context.Context, reg weft.WebhookRegistration, w wanted) weft.WebhookRegistration {
	old := reg
	reg.Provider, reg.Spec, reg.URL, reg.Events = w.app, specOf(w), w.want.URL, w.want.Events
	if w.want.URL == "" {
		return r.failed(reg, errors.New("registration needs the address the provider reaches this server at: start weft serve with --public-url (WEFT_PUBLIC_URL)"))
	}
	p, ok := r.cfg.Providers[w.app]
	if !ok {
		return r.failed(reg, fmt.Errorf("preset %s cannot be registered", w.app))
	}
	c, err := r.cfg.Connect(ctx, w.want.Workflow, w.want.Connection, w.app)
	if err != nil {
		return r.failed(reg, fmt.Errorf("connection %q: %w", w.want.Connection, err))
	}
	if o, ok := decodeSpec(old.Spec); ok && o.URL != "" && (o.URL != w.want.URL || o.App != w.app || o.Repo != w.want.Repo) && o.App == w.app {
		// The address moved: the old endpoint goes first.
		if err := p.Remove(ctx, c, o.Want, old.EndpointID); err != nil {
			return r.failed(reg, fmt.Errorf("removing the endpoint at the old address: %w", err))
		}
	}
	name := policy.RegisteredSecretName(w.want.Workflow)
	ep, err := p.Ensure(ctx, c, w.want, r.cfg.Secrets.HasSecret(ctx, name, w.want.Workflow))
	if err != nil {
		return r.failed(reg, err)
	}
	if ep.Secret != "" {
		if err := r.cfg.Secrets.PutSecret(ctx, name, w.want.Workflow, ep.Secret); err != nil {
			return r.failed(reg, fmt.Errorf("storing the signing secret: %w", err))
		}
	}
	reg.State, reg.EndpointID, reg.LastError, reg.Attempts = weft.RegistrationRegistered, ep.ID, "", 0
	reg.NextAttemptAt = r.cfg.Now()
	r.cfg.Logger.Info("webhook registered", "workflow", reg.Workflow, "provider", reg.Provider, "endpoint", ep.ID)
	return reg
}

func decodeSpec(s string) (spec, bool) {
	var sp spec
	if s == "" || json.Unmarshal([]byte(s), &sp) != nil {
		return sp, false
	}
	return sp, true
}

// remove deletes the endpoint of a workflow that is gone or disabled, and
// its secret; true drops the row.
func (r *Registrar) remove(ctx context.Context, reg weft.WebhookRegistration) (weft.WebhookRegistration, bool) {
	sp, ok := decodeSpec(reg.Spec)
	if ok && sp.URL != "" && reg.EndpointID != "" {
		p, known := r.cfg.Providers[sp.App]
		if known {
			c, err := r.cfg.Connect(ctx, reg.Workflow, sp.Connection, sp.App)
			if err != nil {
				return r.failed(reg, fmt.Errorf("removing: connection %q: %w", sp.Connection, err)), false
			}
			if err := p.Remove(ctx, c, sp.Want, reg.EndpointID); err != nil {
				return r.failed(reg, fmt.Errorf("removing: %w", err)), false
			}
		}
	}
	if err := r.cfg.Secrets.DeleteSecret(ctx, policy.RegisteredSecretName(reg.Workflow)); err != nil {
		return r.failed(reg, fmt.Errorf("removing the signing secret: %w", err)), false
	}
	r.cfg.Logger.Info("webhook registration removed", "workflow", reg.Workflow, "provider", reg.Provider, "endpoint", reg.EndpointID)
	return reg, true
}
