package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/weftworks/weft/audit"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/internal/logbound"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// DefaultMaxBody is the API request body limit when Config.MaxBody is 0.
const DefaultMaxBody int64 = 4 << 20

// Config configures the API handler.
type Config struct {
	Engine   *engine.Engine
	Store    store.Store
	Registry *step.Registry
	Logger   *slog.Logger
	// Metrics is served at GET /metrics; nil serves an empty registry.
	Metrics *metrics.Metrics
	// Tokens verifies the API token of /api/ requests.
	Tokens TokenVerifier
	// Hooks is mounted at /hooks/ without API authentication: webhooks
	// verify themselves, and enforce their own body limits.
	Hooks http.Handler
	// UI is mounted at /; nil serves a short text page.
	UI http.Handler
	// Subscriptions manages outbound webhook subscriptions; nil answers
	// POST /api/v1/subscriptions with 404 not_configured.
	Subscriptions Subscriptions
	// Events serves POST /api/v1/events, the approvals inbox and the
	// resume URLs; nil answers 404 not_configured there.
	Events *events.Service
	// ResumeVerifier verifies calls of resume URLs whose step sets
	// `verify:` (the webhook handler, which owns the verifiers); nil
	// refuses such calls with 401.
	ResumeVerifier ResumeVerifier
	// Ready reports readiness for /readyz; nil means always ready.
	Ready func(ctx context.Context) error
	// Credentials serves /api/v1/credentials and the OAuth flow; nil
	// answers 404 there.
	Credentials *credential.Vault
	// Limiter reports connection limiter state in /api/v1/connections.
	Limiter LimiterStates
	// Breakers reports circuit breaker state per host in
	// /api/v1/connections; nil shows none.
	Breakers BreakerStates
	// Triggers reports the health of queue triggers in GET
	// /api/v1/triggers; nil lists none.
	Triggers TriggerHealth
	// Polls reports the liveness of polling triggers in GET
	// /api/v1/triggers; nil lists none.
	Polls PollHealth
	// Alerts serves /api/v1/alerts; nil answers 404 not_configured.
	Alerts Alerts
	// Identity serves users, their API tokens, console sessions and SSO;
	// nil accepts the admin token (Tokens) only.
	Identity *identity.Service
	// Audit records changes and privileged actions; nil records none.
	Audit *audit.Recorder
	// Connectors imports OpenAPI documents as app connectors (POST
	// /api/v1/connectors/import); nil answers 501.
	Connectors ConnectorImporter
	// MCP lists mcp connections' tools (GET
	// /api/v1/connections/{name}/mcp/tools) and checks mcp.call steps
	// against them when a workflow is saved; nil: neither.
	MCP MCPTools
	// MaxBody limits request bodies (everything but /hooks/); default 4 MiB.
	MaxBody int64
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// KeepAlive is the interval of SSE keep-alive comments (default 15s) and
	// Poll how often an SSE stream re-reads the store (default 1s).
	KeepAlive time.Duration
	Poll      time.Duration
	// MaxSearchScan bounds the executions one trigger-data search of the
	// execution list reads (default store.DefaultMaxScan); the answer says
	// when it stopped there and gives a cursor to go on.
	MaxSearchScan int
}

// WithDefaults returns a copy of c with defaults filled in.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 15 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.MaxSearchScan <= 0 {
		c.MaxSearchScan = store.DefaultMaxScan
	}
	return c
}

// Validate reports the first missing field.
func (c Config) Validate() error {
	switch {
	case c.Engine == nil:
		return errors.New("api config: Engine is required")
	case c.Store == nil:
		return errors.New("api config: Store is required")
	case c.Registry == nil:
		return errors.New("api config: Registry is required")
	case c.Tokens == nil:
		return errors.New("api config: Tokens is required (api.StaticToken(sha256 of the admin token))")
	}
	return nil
}

type server struct {
	cfg    Config
	log    *slog.Logger
	engine *engine.Engine
	store  store.Store
	reg    *step.Registry

	// refusals bounds the request log lines of refused requests per source.
	refusals *logbound.Limiter

	api     *http.ServeMux // authenticated /api/ routes
	methods *http.ServeMux // the same paths without methods: tells 405 from 404
}

// New builds the HTTP handler serving the API, the operational endpoints,
// the webhook mount and the UI.
func New(cfg Config) (http.Handler, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := newServer(cfg)
	root, hooks := s.rootMux()
	return s.logRequests(s.recoverPanics(s.secureHeaders(s.limitBodies(newHooksFirst(root, hooks, s.routes()))))), nil
}

func newServer(cfg Config) *server {
	return &server{
		cfg:     cfg,
		log:     cfg.Logger,
		engine:  cfg.Engine,
		store:   cfg.Store,
		reg:     cfg.Registry,
		api:     http.NewServeMux(),
		methods: http.NewServeMux(),
		// 20 lines at once, then 1/s per source; 50/s over all sources.
		refusals: logbound.NewLimiter(logbound.LimiterConfig{}),
	}
}

// rootMux registers the routes: public ones on the root mux, the rest on
// s.api behind authentication, then /api/, /hooks/ and the UI at /. It
// returns the root mux and the handler of /hooks/.
func (s *server) rootMux() (root *http.ServeMux, hooks http.Handler) {
	root = http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range s.routes() {
		pattern := rt.Method + " " + rt.Path
		if rt.Need.Public() {
			root.Handle(pattern, rt.Handler)
			continue
		}
		s.api.Handle(pattern, s.authorize(rt.Need, rt.Handler))
		allowed[rt.Path] = append(allowed[rt.Path], rt.Method)
	}
	for path, methods := range allowed {
		s.methods.Handle(path, methodNotAllowed(methods))
	}
	root.Handle("/api/", s.authenticate(http.HandlerFunc(s.serveAPI)))
	hooks = s.cfg.Hooks
	if hooks == nil {
		hooks = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "webhooks are not served by this process"})
		})
	}
	root.Handle(hooksPrefix, hooks)
	if s.cfg.UI != nil {
		root.Handle("/", s.cfg.UI)
	} else {
		root.HandleFunc("/", s.noUI)
	}
	return root, hooks
}

// serveAPI routes an authenticated /api/ request, answering unknown paths
// and methods in the API's JSON error shape.
func (s *server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.api.Handler(r); pattern != "" {
		s.api.ServeHTTP(w, r)
		return
	}
	if h, pattern := s.methods.Handler(r); pattern != "" {
		h.ServeHTTP(w, r)
		return
	}
	writeError(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_found",
		Message: fmt.Sprintf("no API endpoint %s %s; the endpoints are listed at /api/v1/openapi.json", r.Method, r.URL.Path)})
}

func methodNotAllowed(methods []string) http.Handler {
	allow := ""
	for i, m := range methods {
		if i > 0 {
			allow += ", "
		}
		allow += m
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, r, nil, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, allow)})
	})
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			// The reason may name hosts or users of the database: it goes to
			// the log, not to an unauthenticated caller.
			s.log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: see the server log\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ok\n"))
}

func (s *server) metricsHandler() http.Handler {
	if s.cfg.Metrics == nil || s.cfg.Metrics.Registry == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		})
	}
	return promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError)})
}

func (s *server) noUI(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("Weft is running. The web UI is not built into this binary.\n" +
		"API: /api/v1 (described at /api/v1/openapi.json), webhooks: /hooks/<path>, health: /healthz\n"))
}
