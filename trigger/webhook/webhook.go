package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/store"
)

// Config configures the webhook handler.
type Config struct {
	Engine  *engine.Engine
	Store   store.Store
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
	return c
}

// Handler serves webhook triggers.
type Handler struct {
	cfg      Config
	inflight atomic.Int64
	routes   *routes
}

var _ http.Handler = (*Handler)(nil)

// New returns a webhook handler.
func New(cfg Config) (*Handler, error) {
	cfg = cfg.WithDefaults()
	if cfg.Engine == nil || cfg.Store == nil {
		return nil, errors.New("webhook config: Engine and Store are required")
	}
	return &Handler{cfg: cfg, routes: newRoutes(cfg.Store)}, nil
}

// Invalidate forgets cached routes (after a workflow changed).
func (h *Handler) Invalidate() { h.routes.reset() }

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
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.WebhookRequests.WithLabelValues(strconv.Itoa(status)).Inc()
	}
}

func (h *Handler) fail(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	h.reply(w, status, b)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n := h.inflight.Add(1); n > int64(h.cfg.MaxInFlight) {
		h.inflight.Add(-1)
		w.Header().Set("Retry-After", "1")
		h.fail(w, http.StatusServiceUnavailable, "overloaded", "too many webhook requests in progress; retry after the Retry-After delay")
		return
	}
	defer h.inflight.Add(-1)

	path := strings.Trim(strings.TrimPrefix(r.URL.Path, h.cfg.Prefix), "/")
	ctx := r.Context()
	route, err := h.routes.lookup(ctx, path)
	if err != nil {
		if errors.Is(err, weft.ErrNotFound) {
			h.fail(w, http.StatusNotFound, "not_found", fmt.Sprintf("no workflow listens on webhook path %q", path))
			return
		}
		h.cfg.Logger.Error("finding webhook route", "path", path, "err", err)
		h.fail(w, http.StatusInternalServerError, "internal", "could not look up the webhook; try again")
		return
	}
	rec, wf, err := h.cfg.Engine.Compiled(ctx, route)
	if err != nil || wf.On.Webhook == nil || strings.Trim(wf.On.Webhook.Path, "/") != path {
		h.routes.forget(path)
		if err != nil && !errors.Is(err, weft.ErrNotFound) {
			h.cfg.Logger.Error("loading webhook workflow", "workflow", route, "err", err)
			h.fail(w, http.StatusInternalServerError, "internal", "could not load the workflow; try again")
			return
		}
		h.fail(w, http.StatusNotFound, "not_found", fmt.Sprintf("no workflow listens on webhook path %q", path))
		return
	}
	if !rec.Enabled || !wf.IsEnabled() {
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
		h.fail(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("webhook %q accepts %s, not %s", path, method, r.Method))
		return
	}
	limit := trig.MaxBody
	if limit <= 0 {
		limit = h.cfg.MaxBody
	}
	if r.ContentLength > limit {
		h.fail(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is %d bytes; this webhook accepts at most %d", r.ContentLength, limit))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body exceeds this webhook's limit of %d bytes", limit))
			return
		}
		h.fail(w, http.StatusBadRequest, "bad_body", "could not read the request body: "+err.Error())
		return
	}
	input, value, err := buildInput(r, path, raw)
	if err != nil {
		var be *bodyError
		if errors.As(err, &be) {
			h.fail(w, http.StatusBadRequest, "bad_body", be.msg)
			return
		}
		h.cfg.Logger.Error("building webhook input", "path", path, "err", err)
		h.fail(w, http.StatusInternalServerError, "internal", "could not record the request; try again")
		return
	}
	sync := trig.Respond == weft.RespondSync
	started, err := h.cfg.Engine.Start(ctx, engine.StartRequest{
		Workflow: rec.Name, Version: rec.Version, Input: input, InputValue: value,
		Trigger: weft.TriggerWebhook, Respond: sync,
	})
	if err != nil {
		if errors.Is(err, weft.ErrOverloaded) {
			w.Header().Set("Retry-After", "1")
			h.fail(w, http.StatusServiceUnavailable, "overloaded", "Weft is busy storing other requests; retry after the Retry-After delay")
			return
		}
		h.cfg.Logger.Error("starting webhook execution", "workflow", rec.Name, "err", err)
		h.fail(w, http.StatusServiceUnavailable, "unavailable", "the request could not be stored; it was not accepted, retry it")
		return
	}
	id := started.Execution.ID
	if started.Duplicate {
		h.reply(w, http.StatusOK, map[string]any{"execution_id": id, "duplicate": true})
		return
	}
	if !sync {
		h.reply(w, http.StatusAccepted, map[string]any{"execution_id": id})
		return
	}
	defer started.Release()
	timeout := trig.Timeout.D()
	if timeout <= 0 {
		timeout = h.cfg.SyncTimeout
	}
	h.waitResponse(ctx, w, started, id, timeout)
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
	h.reply(w, http.StatusAccepted, map[string]any{"execution_id": id})
}

type respondOutput struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func (h *Handler) writeResponse(w http.ResponseWriter, id string, raw json.RawMessage) {
	var out respondOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		h.fail(w, http.StatusInternalServerError, "bad_response", "the respond step produced an unreadable response")
		return
	}
	if out.Status == 0 {
		out.Status = http.StatusOK
	}
	hdr := w.Header()
	for k, v := range out.Headers {
		hdr.Set(k, v)
	}
	hdr.Set("X-Weft-Execution-Id", id)
	body := []byte(out.Body)
	var s string
	if len(body) > 0 && body[0] == '"' && json.Unmarshal(body, &s) == nil {
		// A string body is sent as text, not as a JSON string literal.
		body = []byte(s)
		if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "text/plain; charset=utf-8")
		}
	} else if string(body) == "null" || len(body) == 0 {
		body = nil
	} else if hdr.Get("Content-Type") == "" {
		hdr.Set("Content-Type", "application/json")
	}
	w.WriteHeader(out.Status)
	_, _ = w.Write(body)
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.WebhookRequests.WithLabelValues(strconv.Itoa(out.Status)).Inc()
	}
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
	msg := "execution " + string(ex.Status)
	if ex.Error != nil {
		msg = ex.Error.Message
	}
	h.reply(w, http.StatusInternalServerError, map[string]any{"execution_id": ex.ID, "status": ex.Status,
		"error": map[string]string{"code": "execution_" + string(ex.Status), "message": msg}})
}

// routes caches webhook path → workflow name for a second, misses included,
// so a flood of requests costs no store reads.
type routes struct {
	store store.Store
	mu    sync.Mutex
	m     map[string]routeEntry
}

type routeEntry struct {
	name    string
	fetched time.Time
}

const routeTTL = time.Second

func newRoutes(s store.Store) *routes { return &routes{store: s, m: map[string]routeEntry{}} }

func (rt *routes) reset() {
	rt.mu.Lock()
	rt.m = map[string]routeEntry{}
	rt.mu.Unlock()
}

func (rt *routes) forget(path string) {
	rt.mu.Lock()
	delete(rt.m, path)
	rt.mu.Unlock()
}

func (rt *routes) lookup(ctx context.Context, path string) (string, error) {
	now := time.Now()
	rt.mu.Lock()
	e, ok := rt.m[path]
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
	rt.m[path] = routeEntry{name: name, fetched: now}
	rt.mu.Unlock()
	if name == "" {
		return "", weft.ErrNotFound
	}
	return name, nil
}
