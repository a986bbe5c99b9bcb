package outbound

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// DeliveryWorkflow is the managed workflow that delivers one event.
const DeliveryWorkflow = "weft-webhook-delivery"

// CredentialPrefix names a subscription's secret among the credentials
// steps may use: "subscription:<id>".
const CredentialPrefix = "subscription:"

// Event types.
const (
	EventSucceeded = "execution.succeeded"
	EventFailed    = "execution.failed"
	EventCanceled  = "execution.canceled"
	EventDisabled  = "subscription.disabled"
	// EventAudit is one audit trail entry. Only subscriptions that list it
	// by name get it ("*" does not include it): the trail is for whoever
	// asked for it, not for every execution hook.
	EventAudit = "audit.entry"
)

// EventTypes lists the event types a subscription may filter on.
var EventTypes = []string{EventSucceeded, EventFailed, EventCanceled, EventDisabled, EventAudit}

// Sealer encrypts subscription secrets at rest (the credential keyring).
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// Engine is what the Service needs of the engine: starting a delivery
// execution, and dropping the cached delivery workflow when it is rewritten.
type Engine interface {
	Start(ctx context.Context, req engine.StartRequest) (*engine.Started, error)
	InvalidateWorkflow(name string)
}

// Store is what the Service reads and writes: subscriptions, the managed
// delivery workflow, and finished executions for the fan-out sweep.
type Store interface {
	PutSubscription(ctx context.Context, s store.Subscription) (store.Subscription, error)
	GetSubscription(ctx context.Context, id string) (store.Subscription, error)
	ListSubscriptions(ctx context.Context) ([]store.Subscription, error)
	RecordSubscriptionResult(ctx context.Context, id string, ok bool, at time.Time) (store.Subscription, error)
	DisableSubscription(ctx context.Context, id, reason string, at time.Time) error
	PutWorkflow(ctx context.Context, rec weft.WorkflowRecord) (weft.WorkflowRecord, bool, error)
	ListExecutions(ctx context.Context, f store.ExecutionFilter) ([]weft.Execution, string, error)
}

// Config configures the Service.
type Config struct {
	Engine Engine
	Store  Store
	Logger *slog.Logger
	// Sealer seals secrets; nil stores them as given (tests only).
	Sealer Sealer
	// Schedule is the webhook.send retry schedule (default its own).
	Schedule []string
	// DisableAfter disables an endpoint failing for this long (default 5 days).
	DisableAfter time.Duration
	// Sweep is how often recently finished executions are checked for
	// missed fan-out (default 30s), looking back SweepWindow (default 15m).
	Sweep, SweepWindow time.Duration
	Now                func() time.Time
}

// Service manages subscriptions and fans events out to them.
type Service struct {
	cfg    Config
	events chan *weft.Execution // pointers: 4096 values would be 1.3 MB kept live

	// subs caches the subscription list for subsTTL: every finished
	// execution consults it, and reading the table each time cost the hot
	// path a query per execution. Create (in this process) invalidates it.
	subsMu      sync.Mutex
	subs        []store.Subscription
	subsFetched time.Time
	// lastSweep bounds the next sweep to what finished since, instead of
	// rescanning the whole SweepWindow every time.
	lastSweep time.Time
}

// subsTTL is how long a subscription change may take to reach fan-out.
const subsTTL = 2 * time.Second

// subscriptions returns the (cached) subscription list.
func (s *Service) subscriptions(ctx context.Context) ([]store.Subscription, error) {
	now := time.Now()
	s.subsMu.Lock()
	subs, fetched := s.subs, s.subsFetched
	s.subsMu.Unlock()
	if subs != nil && now.Sub(fetched) < subsTTL {
		return subs, nil
	}
	subs, err := s.cfg.Store.ListSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	if subs == nil {
		subs = []store.Subscription{}
	}
	s.subsMu.Lock()
	s.subs, s.subsFetched = subs, now
	s.subsMu.Unlock()
	return subs, nil
}

// Invalidate drops the cached subscription list (after a change).
func (s *Service) Invalidate() {
	s.subsMu.Lock()
	s.subs = nil
	s.subsMu.Unlock()
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Engine == nil || cfg.Store == nil {
		return nil, errors.New("outbound config: Engine and Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = 5 * 24 * time.Hour
	}
	if cfg.Sweep <= 0 {
		cfg.Sweep = 30 * time.Second
	}
	if cfg.SweepWindow <= 0 {
		cfg.SweepWindow = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, events: make(chan *weft.Execution, 4096)}, nil
}

// workflowSource is the managed delivery workflow.
func (s *Service) workflowSource() string {
	sched := ""
	if len(s.cfg.Schedule) > 0 {
		sched = "\n      schedule: [" + strings.Join(s.cfg.Schedule, ", ") + "]"
	}
	return `name: ` + DeliveryWorkflow + `
description: Delivers one Weft event to one webhook subscription, signed per the Standard Webhooks spec. Managed by Weft; do not edit.
steps:
  - id: send
    uses: webhook.send
    with:
      url: "{{ trigger.url }}"
      credential: "subscription:{{ trigger.subscription_id }}"
      message_id: "{{ trigger.message_id }}"
      payload: "{{ trigger.event }}"` + sched + "\n"
}

// Install stores the delivery workflow (a no-op when unchanged).
func (s *Service) Install(ctx context.Context) error {
	_, _, err := s.cfg.Store.PutWorkflow(ctx, weft.WorkflowRecord{Name: DeliveryWorkflow, Source: s.workflowSource(),
		Description: "Outbound webhook delivery (managed)", Enabled: true})
	if err != nil {
		return fmt.Errorf("installing %s: %w", DeliveryWorkflow, err)
	}
	s.cfg.Engine.InvalidateWorkflow(DeliveryWorkflow)
	return nil
}

// Input is what the API accepts to create a subscription.
type Input struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Workflows   []string `json:"workflows"`
	Description string   `json:"description"`
	// Secret is a whsec_ secret; empty generates one.
	Secret string `json:"secret"`
}

// Create validates in and stores a new subscription. The secret is
// returned once, here.
func (s *Service) Create(ctx context.Context, in Input) (store.Subscription, string, error) {
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return store.Subscription{}, "", fmt.Errorf("url %q must be an http(s) URL: %w", in.URL, weft.ErrInvalid)
	}
	for _, e := range in.Events {
		if e != "*" && !slices.Contains(EventTypes, e) {
			return store.Subscription{}, "", fmt.Errorf("event %q is not one of %s or *: %w", e, strings.Join(EventTypes, ", "), weft.ErrInvalid)
		}
	}
	secret := in.Secret
	if secret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		secret = "whsec_" + base64.StdEncoding.EncodeToString(b)
	} else if !strings.HasPrefix(secret, "whsec_") {
		return store.Subscription{}, "", fmt.Errorf("secret must look like whsec_<base64>: %w", weft.ErrInvalid)
	}
	id := "sub_" + strings.ToLower(engine.NewID(s.cfg.Now()))
	sealed, err := s.seal(id, []byte(secret))
	if err != nil {
		return store.Subscription{}, "", err
	}
	sub, err := s.cfg.Store.PutSubscription(ctx, store.Subscription{ID: id, URL: in.URL, Events: in.Events,
		Workflows: in.Workflows, Description: in.Description, Secret: sealed, Enabled: true})
	if err != nil {
		return store.Subscription{}, "", err
	}
	s.Invalidate()
	return sub, secret, nil
}

func (s *Service) seal(id string, secret []byte) ([]byte, error) {
	if s.cfg.Sealer == nil {
		return secret, nil
	}
	b, err := s.cfg.Sealer.Seal(secret, []byte(CredentialPrefix+id))
	if err != nil {
		return nil, fmt.Errorf("sealing subscription secret: %w", err)
	}
	return b, nil
}

func (s *Service) open(sub store.Subscription) ([]byte, error) {
	if s.cfg.Sealer == nil {
		return sub.Secret, nil
	}
	return s.cfg.Sealer.Open(sub.Secret, []byte(CredentialPrefix+sub.ID))
}

// Credential lends webhook.send the signing secret of subscription:<id>,
// to the delivery workflow only. The vault serves it as a credential.Source
// under CredentialPrefix.
func (s *Service) Credential(ctx context.Context, workflow, name string) (step.Credential, error) {
	id, ok := strings.CutPrefix(name, CredentialPrefix)
	if !ok {
		return step.Credential{}, fmt.Errorf("credential %q: %w", name, weft.ErrNotFound)
	}
	if workflow != DeliveryWorkflow {
		return step.Credential{}, fmt.Errorf("credential %q is only lent to %s: %w", name, DeliveryWorkflow, weft.ErrNotFound)
	}
	sub, err := s.cfg.Store.GetSubscription(ctx, id)
	if err != nil {
		return step.Credential{}, err
	}
	secret, err := s.open(sub)
	if err != nil {
		return step.Credential{}, fmt.Errorf("opening the secret of %s: %w", id, err)
	}
	return step.Credential{Name: name, Type: "webhook_secret", Data: map[string]string{"secret": string(secret)}}, nil
}

// OnFinished is the engine's OnFinish hook. It never blocks: when the queue
// is full the sweep picks the execution up later.
func (s *Service) OnFinished(ex weft.Execution) {
	select {
	case s.events <- &ex:
	default:
	}
}

// Run fans out finished executions until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ex := <-s.events:
			if ctx.Err() != nil {
				return nil // stopping: the sweep of the next start delivers it
			}
			s.handle(ctx, *ex)
		case <-t.C:
			s.sweep(ctx)
		}
	}
}

func eventType(st weft.ExecutionStatus) string {
	switch st {
	case weft.ExecutionSucceeded:
		return EventSucceeded
	case weft.ExecutionFailed:
		return EventFailed
	case weft.ExecutionCanceled:
		return EventCanceled
	}
	return ""
}

func (s *Service) handle(ctx context.Context, ex weft.Execution) {
	if ex.Workflow == DeliveryWorkflow {
		s.deliveryFinished(ctx, ex)
		return
	}
	typ := eventType(ex.Status)
	if typ == "" {
		return
	}
	subs, err := s.subscriptions(ctx)
	if err != nil {
		s.cfg.Logger.Warn("listing subscriptions", "err", err)
		return
	}
	event := map[string]any{"type": typ, "timestamp": s.cfg.Now().UTC().Format(time.RFC3339Nano), "data": map[string]any{
		"execution_id": ex.ID, "workflow": ex.Workflow, "status": ex.Status, "error": ex.Error, "finished_at": ex.FinishedAt}}
	for _, sub := range subs {
		if matches(sub, typ, ex.Workflow) {
			s.start(ctx, sub, ex.ID+"."+typ, event)
		}
	}
}

func matches(sub store.Subscription, typ, workflow string) bool {
	if !sub.Enabled {
		return false
	}
	if len(sub.Events) > 0 && !slices.Contains(sub.Events, "*") && !slices.Contains(sub.Events, typ) {
		return false
	}
	return len(sub.Workflows) == 0 || slices.Contains(sub.Workflows, workflow)
}

// start starts one delivery, at most once per (subscription, event key).
func (s *Service) start(ctx context.Context, sub store.Subscription, key string, event map[string]any) {
	in, _ := json.Marshal(map[string]any{"subscription_id": sub.ID, "url": sub.URL, "message_id": "msg_" + key, "event": event})
	_, err := s.cfg.Engine.Start(ctx, engine.StartRequest{Workflow: DeliveryWorkflow, Input: in, Trigger: weft.TriggerWorkflow,
		Dedupe: &store.DedupeKey{Scope: CredentialPrefix + sub.ID, Key: key, ExpiresAt: s.cfg.Now().Add(30 * 24 * time.Hour)}})
	if err != nil {
		s.cfg.Logger.Warn("starting a webhook delivery", "subscription", sub.ID, "err", err)
	}
}

// deliveryFinished records the outcome on the subscription and disables an
// endpoint that has failed for DisableAfter.
func (s *Service) deliveryFinished(ctx context.Context, ex weft.Execution) {
	var in struct {
		SubscriptionID string `json:"subscription_id"`
	}
	if json.Unmarshal(ex.Input, &in) != nil || in.SubscriptionID == "" {
		return
	}
	ok := ex.Status == weft.ExecutionSucceeded
	now := s.cfg.Now()
	sub, err := s.cfg.Store.RecordSubscriptionResult(ctx, in.SubscriptionID, ok, now)
	if err != nil {
		return
	}
	if ok || !sub.Enabled || sub.FailingSince == nil || now.Sub(*sub.FailingSince) < s.cfg.DisableAfter {
		return
	}
	reason := fmt.Sprintf("every delivery since %s failed; re-enable it with PUT once the endpoint works", sub.FailingSince.UTC().Format(time.RFC3339))
	if err := s.cfg.Store.DisableSubscription(ctx, sub.ID, reason, now); err != nil {
		s.cfg.Logger.Warn("disabling a failing subscription", "subscription", sub.ID, "err", err)
		return
	}
	s.cfg.Logger.Warn("webhook subscription disabled", "subscription", sub.ID, "url", sub.URL, "reason", reason)
	subs, _ := s.cfg.Store.ListSubscriptions(ctx)
	event := map[string]any{"type": EventDisabled, "timestamp": now.UTC().Format(time.RFC3339Nano),
		"data": map[string]any{"subscription_id": sub.ID, "url": sub.URL, "reason": reason}}
	for _, other := range subs {
		if other.ID != sub.ID && matches(other, EventDisabled, "") && (len(other.Events) > 0 && slices.Contains(other.Events, EventDisabled)) {
			s.start(ctx, other, sub.ID+"."+EventDisabled+"."+now.UTC().Format(time.RFC3339), event)
		}
	}
}

// sweep fans out executions that finished recently (in any process) in
// case the hook missed them; dedupe makes repeats harmless.
func (s *Service) sweep(ctx context.Context) {
	now := s.cfg.Now()
	subs, err := s.subscriptions(ctx)
	if err != nil || len(subs) == 0 {
		s.lastSweep = now
		return
	}
	since := now.Add(-s.cfg.SweepWindow)
	if overlap := s.lastSweep.Add(-2 * s.cfg.Sweep); !s.lastSweep.IsZero() && overlap.After(since) {
		since = overlap // what the previous sweeps covered need not be read again
	}
	defer func() { s.lastSweep = now }()
	for _, st := range []weft.ExecutionStatus{weft.ExecutionSucceeded, weft.ExecutionFailed, weft.ExecutionCanceled} {
		cursor := ""
		for ctx.Err() == nil {
			exs, next, err := s.cfg.Store.ListExecutions(ctx, store.ExecutionFilter{Status: st, Page: store.Page{Cursor: cursor, Limit: 200}})
			if err != nil {
				return
			}
			old := false
			for _, ex := range exs {
				if ex.CreatedAt.Before(since) {
					old = true
					break
				}
				if ex.Workflow != DeliveryWorkflow {
					s.handle(ctx, ex)
				}
			}
			if old || next == "" {
				break
			}
			cursor = next
		}
	}
}

var _ credential.Source = (*Service)(nil)

// PublishAudit delivers an audit entry to the subscriptions that list
// "audit.entry", signed like every delivery and at most once per
// (subscription, seq).
func (s *Service) PublishAudit(ctx context.Context, e store.AuditEntry) {
	subs, err := s.subscriptions(ctx)
	if err != nil {
		s.cfg.Logger.Warn("listing subscriptions for an audit entry", "err", err)
		return
	}
	var event map[string]any
	for _, sub := range subs {
		if !sub.Enabled || !slices.Contains(sub.Events, EventAudit) {
			continue
		}
		if event == nil {
			event = map[string]any{"type": EventAudit, "timestamp": e.Time.UTC().Format(time.RFC3339Nano), "data": e}
		}
		s.start(context.WithoutCancel(ctx), sub, fmt.Sprintf("audit.%d", e.Seq), event)
	}
}
