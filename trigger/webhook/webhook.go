package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/jsonvalue"
	"github.com/weftworks/weft/internal/logbound"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/webhook/policy"
	"github.com/weftworks/weft/trigger/webhook/verify"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
	"github.com/weftworks/weft/workflow"
)

// Engine is what the handler needs of the engine: the compiled active
// version of the workflow a path routes to, and starting its execution.
type Engine interface {
	Compiled(ctx context.Context, name string) (weft.WorkflowRecord, *workflow.Compiled, error)
	Start(ctx context.Context, req engine.StartRequest) (*engine.Started, error)
}

// DeliveryLog is where the handler writes and prunes the delivery log.
type DeliveryLog interface {
	RecordDeliveries(ctx context.Context, ds []store.WebhookDelivery) error
	// RecordDeliveriesDeferred is RecordDeliveries folded into the store's
	// next write where the store can (store.DeferredDeliveryLog).
	RecordDeliveriesDeferred(ctx context.Context, ds []store.WebhookDelivery) error
	PruneDeliveries(ctx context.Context, before time.Time, batch int) (int, error)
}

// Store is what the handler reads: the workflow serving a path, the
// execution a respond: sync request waits for, and (by default) the
// delivery log.
type Store interface {
	DeliveryLog
	WorkflowByWebhookPath(ctx context.Context, path string) (weft.WorkflowRecord, error)
	GetExecution(ctx context.Context, id string) (weft.Execution, error)
}

// Config configures the webhook handler.
type Config struct {
	Engine  Engine
	Store   Store
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	// Prefix is the URL prefix the handler is mounted at (default "/hooks/").
	Prefix string
	// MaxBody is the body limit when a trigger sets none (default 1 MiB).
	MaxBody int64
	// MaxInFlight bounds concurrent webhook requests; more are answered 503
	// with Retry-After (default 4096).
	MaxInFlight int
	// SyncTimeout is how long respond: sync waits when the trigger sets no
	// timeout (default 30s).
	SyncTimeout time.Duration
	// Secrets lends verification the secrets of webhook_secret credentials
	// (the credential vault). Nil: webhooks that need secrets are refused.
	Secrets SecretSource
	// PublicURL is --public-url as given ("" when not set), for schemes
	// that sign the full URL the sender called (HubSpot v3).
	PublicURL string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when finding the caller's address (for allow_ips and the
	// delivery log). Empty: the TCP peer is the caller.
	TrustedProxies []netip.Prefix
	// HTTP fetches JWKS documents for jwt verification (the SSRF-guarded
	// client in production).
	HTTP *http.Client
	// Deliveries is the delivery log; default Store.
	Deliveries DeliveryLog
	// DeliveryRetention is how long the delivery log keeps a request
	// (default 7 days, the dedupe window).
	DeliveryRetention time.Duration
	// RefusalRate and RefusalBurst bound the refused requests each source
	// address may add to the delivery log (default 1/s after a burst of
	// 20); the rest are counted in weft_log_suppressed_total. Requests to
	// unknown paths are never logged, only counted.
	RefusalRate  float64
	RefusalBurst int
	// Buckets, when set, holds the webhooks' rate limits for every process
	// sharing the store (PostgreSQL), so a limit of 10/s is 10/s for the
	// cluster. Nil: each process keeps its own buckets (SQLite, where one
	// process owns the data).
	Buckets Buckets
	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// SecretSource returns the active secrets of a webhook_secret credential
// that workflow may use (the credential vault implements it).
type SecretSource interface {
	WebhookSecrets(ctx context.Context, credential, workflow string) ([]credential.Secret, error)
}

// WithDefaults fills in defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Prefix == "" {
		c.Prefix = "/hooks/"
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 1 << 20
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 4096
	}
	if c.SyncTimeout <= 0 {
		c.SyncTimeout = 30 * time.Second
	}
	if c.Deliveries == nil {
		c.Deliveries = c.Store
	}
	if c.DeliveryRetention <= 0 {
		c.DeliveryRetention = policy.DefaultDedupeWindow
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Handler serves webhook triggers.
type Handler struct {
	cfg      Config
	inflight atomic.Int64
	routes   *routes
	policies *policies
	rec      *recorder
	// refusals bounds the delivery-log rows refused requests may add, per
	// source address.
	refusals *logbound.Limiter
	// statusCounters caches weft_webhook_requests_total's counter of each
	// status from 100 to 599 (see count).
	statusCounters [500]atomic.Pointer[prometheus.Counter]
}

var _ http.Handler = (*Handler)(nil)

// New returns a webhook handler.
func New(cfg Config) (*Handler, error) {
	cfg = cfg.WithDefaults()
	if cfg.Engine == nil || cfg.Store == nil {
		return nil, errors.New("webhook config: Engine and Store are required")
	}
	h := &Handler{cfg: cfg, routes: newRoutes(cfg.Store),
		policies: &policies{opts: verify.Options{HTTP: cfg.HTTP}},
		rec:      &recorder{st: cfg.Deliveries, ch: make(chan *store.WebhookDelivery, recorderQueue)},
		refusals: logbound.NewLimiter(logbound.LimiterConfig{Rate: cfg.RefusalRate, Burst: cfg.RefusalBurst})}
	if cfg.Metrics != nil {
		h.rec.dropped = func() { cfg.Metrics.WebhookRequests.WithLabelValues("log_dropped").Inc() }
	}
	return h, nil
}

// Run writes the delivery log and prunes it until ctx ends. Without Run,
// webhooks are served but the log is not written.
func (h *Handler) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.rec.run(ctx, func(err error) { h.cfg.Logger.Warn("writing the webhook delivery log", "err", err) })
	}()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		h.prune(ctx)
		select {
		case <-ctx.Done():
			<-done
			return nil
		case <-t.C:
		}
	}
}

func (h *Handler) prune(ctx context.Context) {
	before := h.cfg.Now().Add(-h.cfg.DeliveryRetention)
	for ctx.Err() == nil {
		n, err := h.cfg.Deliveries.PruneDeliveries(ctx, before, 1000)
		if err != nil {
			if ctx.Err() == nil {
				h.cfg.Logger.Warn("pruning the webhook delivery log", "err", err)
			}
			return
		}
		if n == 0 {
			return
		}
	}
}

// Invalidate forgets cached routes and policies (after a workflow changed).
func (h *Handler) invalidatePolicies() {
	h.policies.mu.Lock()
	h.policies.m = nil
	h.policies.mu.Unlock()
}

// Invalidate forgets cached routes (after a workflow changed).
func (h *Handler) Invalidate() { h.routes.reset(); h.invalidatePolicies() }

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (h *Handler) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	h.count(status)
}

// replyID answers {"execution_id": id} (and "duplicate": true), byte for
// byte what reply writes for that map, without encoding/json's reflection.
func (h *Handler) replyID(w http.ResponseWriter, status int, id string, duplicate bool) {
	b := make([]byte, 0, 64)
	if duplicate {
		b = append(b, `{"duplicate":true,"execution_id":`...)
	} else {
		b = append(b, `{"execution_id":`...)
	}
	b = jsonvalue.AppendString(b, id)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	h.count(status)
}

// count adds a request to weft_webhook_requests_total under its status.
// The counter of each status is looked up once (a label lookup hashes the
// value and takes the vector's lock) and kept; a status is only ever
// exported once a request had it, as before.
func (h *Handler) count(status int) {
	m := h.cfg.Metrics
	if m == nil {
		return
	}
	if status < 100 || status > 599 {
		m.WebhookRequests.WithLabelValues(strconv.Itoa(status)).Inc()
		return
	}
	slot := &h.statusCounters[status-100]
	c := slot.Load()
	if c == nil {
		counter := m.WebhookRequests.WithLabelValues(strconv.Itoa(status))
		c = &counter
		slot.Store(c)
	}
	(*c).Inc()
}

func (h *Handler) fail(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	h.reply(w, status, b)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	d := store.WebhookDelivery{ID: engine.NewID(now), ReceivedAt: now, Method: r.Method,
		Path: strings.Trim(strings.TrimPrefix(r.URL.Path, h.cfg.Prefix), "/")}
	ip := clientIP(r, h.cfg.TrustedProxies)
	if ip.IsValid() {
		d.SourceIP = ip.String()
	}
	sw := &statusWriter{ResponseWriter: w}
	if n := h.inflight.Add(1); n > int64(h.cfg.MaxInFlight) {
		h.inflight.Add(-1)
		w.Header().Set("Retry-After", "1")
		d.Outcome = store.OutcomeOverloaded
		h.fail(sw, http.StatusServiceUnavailable, "overloaded", "too many webhook requests in progress; retry after the Retry-After delay")
		d.Status = sw.status
		h.finish(d)
		return
	}
	defer h.inflight.Add(-1)
	h.serve(sw, r, ip, &d)
	d.Status = sw.status
	h.finish(d)
}

// statusWriter remembers the status for the delivery log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// unauthorized is all a caller learns about a failed verification; the
// reason goes to the delivery log.
const unauthorizedMessage = "the request could not be verified"

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, ip netip.Addr, d *store.WebhookDelivery) {
	path := d.Path
	ctx := r.Context()
	if !webhookPath(path) {
		// No workflow can listen here: answer without a store read.
		d.Outcome = store.OutcomeNotListening
		h.fail(w, http.StatusNotFound, "not_found", fmt.Sprintf("no workflow listens on webhook path %q", logbound.Clip(path, logbound.MaxString)))
		return
	}
	route, err := h.routes.lookup(ctx, path)
	if err != nil {
		if errors.Is(err, weft.ErrNotFound) {
			d.Outcome = store.OutcomeNotListening
			h.fail(w, http.StatusNotFound, "not_found", fmt.Sprintf("no workflow listens on webhook path %q", logbound.Clip(path, logbound.MaxString)))
			return
		}
		h.cfg.Logger.Error("finding webhook route", "path", logbound.Clip(path, logbound.MaxString), "err", err)
		d.Outcome, d.Reason = store.OutcomeError, "route lookup failed"
		h.fail(w, http.StatusInternalServerError, "internal", "could not look up the webhook; try again")
		return
	}
	rec, compiled, err := h.cfg.Engine.Compiled(ctx, route)
	if err != nil || compiled.Workflow.On.Webhook == nil || strings.Trim(compiled.Workflow.On.Webhook.Path, "/") != path {
		h.routes.forget(path)
		if err != nil && !errors.Is(err, weft.ErrNotFound) {
			h.cfg.Logger.Error("loading webhook workflow", "workflow", route, "err", err)
			d.Outcome, d.Reason = store.OutcomeError, "loading the workflow failed"
			h.fail(w, http.StatusInternalServerError, "internal", "could not load the workflow; try again")
			return
		}
		d.Outcome = store.OutcomeNotListening
		h.fail(w, http.StatusNotFound, "not_found", fmt.Sprintf("no workflow listens on webhook path %q", path))
		return
	}
	d.Workflow = rec.Name
	wf := compiled.Workflow
	if !rec.Enabled || !wf.IsEnabled() {
		d.Outcome = store.OutcomeNotListening
		h.fail(w, http.StatusNotFound, "disabled", fmt.Sprintf("workflow %q is disabled; enable it to accept webhooks", rec.Name))
		return
	}
	trig := wf.On.Webhook
	method := strings.ToUpper(trig.Method)
	if method == "" {
		method = http.MethodPost
	}
	if method != "ANY" && r.Method != method {
		w.Header().Set("Allow", method)
		d.Outcome = store.OutcomeBadMethod
		h.fail(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("webhook %q accepts %s, not %s", path, method, r.Method))
		return
	}
	pol, err := h.policies.get(rec.Name, rec.Version, compiled.Webhook)
	if err != nil {
		h.cfg.Logger.Error("webhook policy", "workflow", rec.Name, "err", err)
		d.Outcome, d.Reason = store.OutcomeError, "invalid webhook policy: "+err.Error()
		h.fail(w, http.StatusInternalServerError, "internal", "the webhook's configuration is invalid; see the server log")
		return
	}
	if len(pol.AllowIPs) > 0 && (!ip.IsValid() || !inAny(ip, pol.AllowIPs)) {
		d.Outcome, d.Reason = store.OutcomeForbidden, "source address "+d.SourceIP+" is not in allow_ips"
		h.fail(w, http.StatusForbidden, "forbidden", "this address may not call this webhook")
		return
	}
	if pol.limiter != nil {
		if ok, wait := h.takeRate(r.Context(), rec.Name, pol, d.ReceivedAt); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			d.Outcome = store.OutcomeRateLimited
			h.fail(w, http.StatusTooManyRequests, "rate_limited", "this webhook's rate limit is reached; retry after the Retry-After delay")
			return
		}
	}
	limit := trig.MaxBody
	if limit <= 0 {
		limit = h.cfg.MaxBody
	}
	if r.ContentLength > limit {
		d.Outcome, d.Reason = store.OutcomeTooLarge, fmt.Sprintf("Content-Length %d is over the limit of %d bytes", r.ContentLength, limit)
		h.fail(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is %d bytes; this webhook accepts at most %d", r.ContentLength, limit))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			d.Outcome, d.Reason = store.OutcomeTooLarge, fmt.Sprintf("body is over the limit of %d bytes", limit)
			h.fail(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body exceeds this webhook's limit of %d bytes", limit))
			return
		}
		d.Outcome, d.Reason = store.OutcomeBadRequest, "reading the body: "+err.Error()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			d.Reason = "truncated body: the connection ended before Content-Length bytes arrived"
		}
		h.fail(w, http.StatusBadRequest, "bad_body", "could not read the request body: "+err.Error())
		return
	}
	var verified *verify.Result
	if len(pol.Verify) > 0 {
		vr := verify.FromHTTP(r, raw, d.ReceivedAt)
		vr.PublicURL = h.cfg.PublicURL
		res, err := h.verifyRequest(ctx, rec.Name, pol, vr)
		if err != nil {
			d.Outcome, d.Reason = store.OutcomeRejected, err.Error()
			d.Request = h.keepRequest(r, path, raw, pol.redact)
			h.fail(w, http.StatusUnauthorized, "unauthorized", unauthorizedMessage)
			return
		}
		verified = &res
		d.Scheme, d.KeyID = res.Scheme, res.KeyID
		if res.Scheme == verifyspec.SchemeSlack {
			if challenge, ok := slackChallenge(raw); ok {
				d.Outcome = store.OutcomeChallenge
				h.reply(w, http.StatusOK, map[string]string{"challenge": challenge})
				return
			}
		}
	}
	input, value, err := buildInput(r, path, raw, verified, pol.redact)
	if err != nil {
		var be *bodyError
		if errors.As(err, &be) {
			d.Outcome, d.Reason = store.OutcomeBadRequest, be.msg
			h.fail(w, http.StatusBadRequest, "bad_body", be.msg)
			return
		}
		h.cfg.Logger.Error("building webhook input", "path", logbound.Clip(path, logbound.MaxString), "err", err)
		d.Outcome, d.Reason = store.OutcomeError, "building the trigger input failed"
		h.fail(w, http.StatusInternalServerError, "internal", "could not record the request; try again")
		return
	}
	if len(pol.Events) > 0 && pol.Preset != nil {
		typ := eventType(pol.Preset.App, r.Header, value["body"])
		if !pol.EventMatches(typ) {
			// Acknowledged, so the provider does not retry it; no execution.
			d.Outcome, d.Reason = store.OutcomeIgnored, "event "+logbound.Clip(typ, 200)+" is not in events:"
			h.reply(w, http.StatusOK, map[string]any{"ignored": true, "event": typ})
			return
		}
	}
	var dedupe *store.DedupeKey
	if pol.Dedupe.Enabled() {
		scheme := ""
		if verified != nil {
			scheme = verified.Scheme
		}
		key, err := dedupeKey(ctx, pol.Dedupe, r.Header, value, scheme)
		if err != nil {
			d.Outcome, d.Reason = store.OutcomeBadRequest, err.Error()
			d.Request = h.keepRequest(r, path, raw, pol.redact)
			h.fail(w, http.StatusBadRequest, "bad_dedupe_key", "the dedupe expression could not be evaluated on this request")
			return
		}
		if key != "" {
			d.DedupeKey = key
			dedupe = &store.DedupeKey{Scope: rec.Name, Key: key, ExpiresAt: d.ReceivedAt.Add(pol.Dedupe.Window)}
		}
	}
	sync := trig.Respond == weft.RespondSync
	started, err := h.cfg.Engine.Start(ctx, engine.StartRequest{
		Workflow: rec.Name, Version: rec.Version, Input: input, InputValue: value,
		Trigger: weft.TriggerWebhook, Respond: sync, Dedupe: dedupe,
		TraceParent: r.Header.Get("traceparent"),
	})
	if err != nil {
		d.Request = h.keepRequest(r, path, raw, pol.redact)
		if errors.Is(err, weft.ErrOverloaded) {
			w.Header().Set("Retry-After", "1")
			d.Outcome = store.OutcomeOverloaded
			h.fail(w, http.StatusServiceUnavailable, "overloaded", "Weft is busy storing other requests; retry after the Retry-After delay")
			return
		}
		h.cfg.Logger.Error("starting webhook execution", "workflow", rec.Name, "err", err)
		d.Outcome, d.Reason = store.OutcomeError, "storing the execution failed"
		h.fail(w, http.StatusServiceUnavailable, "unavailable", "the request could not be stored; it was not accepted, retry it")
		return
	}
	id := started.Execution.ID
	d.ExecutionID = id
	if started.Duplicate {
		d.Outcome = store.OutcomeDuplicate
		h.replyID(w, http.StatusOK, id, true)
		return
	}
	d.Outcome = store.OutcomeAccepted
	if !sync {
		h.replyID(w, http.StatusAccepted, id, false)
		return
	}
	defer started.Release()
	timeout := trig.Timeout.D()
	if timeout <= 0 {
		timeout = h.cfg.SyncTimeout
	}
	h.waitResponse(ctx, w, started, id, timeout)
}

// webhookPath reports whether path matches workflow.WebhookPathPattern
// (segments of [a-zA-Z0-9_-]+ joined by single slashes) without running
// the regular expression on every request.
func webhookPath(path string) bool {
	seg := 0
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			seg++
		case c == '/' && seg > 0:
			seg = 0
		default:
			return false
		}
	}
	return seg > 0
}

// maxKeptRequest bounds the request kept in the delivery log for replay
// when no execution holds it.
const maxKeptRequest = 64 << 10

func (h *Handler) keepRequest(r *http.Request, path string, raw []byte, redact map[string]bool) json.RawMessage {
	if len(raw) > maxKeptRequest {
		return nil
	}
	in, _, err := buildInput(r, path, raw, nil, redact)
	if err != nil {
		return nil
	}
	return in
}

// slackChallenge answers Slack's url_verification handshake.
func slackChallenge(raw []byte) (string, bool) {
	if !bytes.Contains(raw, []byte("url_verification")) {
		return "", false
	}
	var b struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(raw, &b) != nil || b.Type != "url_verification" {
		return "", false
	}
	return b.Challenge, true
}

var timerPool = sync.Pool{New: func() any { t := time.NewTimer(time.Hour); t.Stop(); return t }}

func (h *Handler) waitResponse(ctx context.Context, w http.ResponseWriter, started *engine.Started, id string, timeout time.Duration) {
	t := timerPool.Get().(*time.Timer)
	t.Reset(timeout)
	defer func() {
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		timerPool.Put(t)
	}()
	select {
	case resp, ok := <-started.Response:
		if ok && resp != nil {
			h.writeResponse(w, id, resp)
			return
		}
		// No respond step: answer with the end of the workflow if it ended.
		ex, err := h.cfg.Store.GetExecution(ctx, id)
		if err == nil && ex.Status.Finished() {
			h.writeFinished(w, ex)
			return
		}
	case <-t.C:
	case <-ctx.Done():
		return
	}
	w.Header().Set("Location", "/api/v1/executions/"+id)
	h.replyID(w, http.StatusAccepted, id, false)
}

func (h *Handler) writeFinished(w http.ResponseWriter, ex weft.Execution) {
	w.Header().Set("X-Weft-Execution-Id", ex.ID)
	if ex.Status == weft.ExecutionSucceeded {
		out := ex.Output
		if len(out) == 0 {
			out = json.RawMessage("null")
		}
		h.reply(w, http.StatusOK, out)
		return
	}
	// The caller is outside: the step's error may hold internal URLs, the
	// SSRF guard's reasons or a service's answer. They stay in the
	// execution, for the operator; the caller gets the id to quote.
	msg := "the workflow did not finish (" + string(ex.Status) + "); quote execution " + ex.ID + " to the operator"
	h.reply(w, http.StatusInternalServerError, map[string]any{"execution_id": ex.ID, "status": ex.Status,
		"error": map[string]string{"code": "execution_" + string(ex.Status), "message": msg}})
}

// routes caches webhook path → workflow name for a second, misses included,
// so a flood of requests costs no store reads.
type routes struct {
	store Store
	mu    sync.Mutex
	m     map[string]routeEntry
}

type routeEntry struct {
	name    string
	fetched time.Time
}

const routeTTL = time.Second

func newRoutes(s Store) *routes { return &routes{store: s, m: map[string]routeEntry{}} }

func (rt *routes) reset() {
	rt.mu.Lock()
	rt.m = map[string]routeEntry{}
	rt.mu.Unlock()
}

func (rt *routes) forget(path string) {
	rt.mu.Lock()
	delete(rt.m, cacheKey(path))
	rt.mu.Unlock()
}

func (rt *routes) lookup(ctx context.Context, path string) (string, error) {
	now := time.Now()
	key := cacheKey(path)
	rt.mu.Lock()
	e, ok := rt.m[key]
	rt.mu.Unlock()
	if ok && now.Sub(e.fetched) < routeTTL {
		if e.name == "" {
			return "", weft.ErrNotFound
		}
		return e.name, nil
	}
	rec, err := rt.store.WorkflowByWebhookPath(ctx, path)
	name := rec.Name
	if err != nil {
		if !errors.Is(err, weft.ErrNotFound) {
			return "", err
		}
		name = ""
	}
	rt.mu.Lock()
	if len(rt.m) > 10000 {
		rt.m = map[string]routeEntry{}
	}
	rt.m[key] = routeEntry{name: name, fetched: now}
	rt.mu.Unlock()
	if name == "" {
		return "", weft.ErrNotFound
	}
	return name, nil
}
