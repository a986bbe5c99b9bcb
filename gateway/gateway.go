package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/step"
)

// TokenVerifier decides whether a Weft API token is valid (api.TokenVerifier
// satisfies it).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) bool
}

// Route sends models whose name starts with Prefix to a provider.
type Route struct {
	Prefix     string `yaml:"prefix" json:"prefix"`
	Provider   string `yaml:"provider" json:"provider"`
	Credential string `yaml:"credential" json:"credential,omitempty"`
	BaseURL    string `yaml:"base_url" json:"base_url,omitempty"`
	// APIKey is the key given directly (from api_key_env in the config file).
	APIKey string `yaml:"-" json:"-"`
	// Fallback models tried on retryable errors.
	Fallback []ai.Target `yaml:"fallback" json:"fallback,omitempty"`
}

// DefaultRoutes: claude- → Anthropic, gemini- → Gemini, the rest → OpenAI,
// each with the credential named after the provider.
func DefaultRoutes() []Route {
	return []Route{
		{Prefix: "claude-", Provider: ai.Anthropic, Credential: ai.Anthropic},
		{Prefix: "gemini-", Provider: ai.Gemini, Credential: ai.Gemini},
		{Prefix: "text-embedding-004", Provider: ai.Gemini, Credential: ai.Gemini},
		{Prefix: "", Provider: ai.OpenAI, Credential: ai.OpenAI},
	}
}

// Config configures the gateway.
type Config struct {
	Service *ai.Service
	Tokens  TokenVerifier
	// Routes are matched by longest prefix; default DefaultRoutes.
	Routes []Route
	// Connections resolves route credentials with their connection (the
	// vault): key, HTTP client (mtls, allow_private_net), breaker, token
	// invalidation and status. May be nil when routes carry keys.
	Connections step.Connections
	Logger      *slog.Logger
	// MaxBody bounds request bodies (default 8 MiB).
	MaxBody int64
	// Cache: "auto" (temperature 0 only, the default), "on" or "off".
	Cache string
}

// Validate names the first problem.
func (c Config) Validate() error {
	switch {
	case c.Service == nil:
		return errors.New("gateway config: Service is required")
	case c.Tokens == nil:
		return errors.New("gateway config: Tokens is required")
	}
	for _, r := range c.Routes {
		if _, err := ai.NewProvider(r.Provider, ai.Endpoint{BaseURL: r.BaseURL + "x"}); err != nil {
			return fmt.Errorf("gateway route %q: %w", r.Prefix, err)
		}
	}
	return nil
}

type gateway struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the gateway handler; mount it at /v1/.
func New(cfg Config) (http.Handler, error) {
	if cfg.Routes == nil {
		cfg.Routes = DefaultRoutes()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.Cache == "" {
		cfg.Cache = "auto"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &gateway{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	g.mux.HandleFunc("POST /v1/chat/completions", g.chat)
	g.mux.HandleFunc("POST /v1/embeddings", g.embeddings)
	g.mux.HandleFunc("GET /v1/models", g.models)
	return g, nil
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || !g.cfg.Tokens.Verify(r.Context(), strings.TrimSpace(token)) {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			"Send a Weft API token as Authorization: Bearer <token> (the OpenAI client's api_key).")
		return
	}
	if _, pattern := g.mux.Handler(r); pattern == "" {
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url",
			fmt.Sprintf("Unknown request URL: %s %s. This gateway serves POST /v1/chat/completions, POST /v1/embeddings and GET /v1/models.", r.Method, r.URL.Path))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, g.cfg.MaxBody)
	g.mux.ServeHTTP(w, r)
}

// targets routes a model name: "provider/model" explicitly, else by the
// longest matching prefix.
func (g *gateway) targets(model string) ([]ai.Target, error) {
	if p, m, ok := strings.Cut(model, "/"); ok {
		for _, name := range ai.Providers {
			if p == name {
				for _, r := range g.cfg.Routes {
					if r.Provider == p {
						return append([]ai.Target{{Provider: p, Model: m, Credential: r.Credential, BaseURL: r.BaseURL, APIKey: r.APIKey}}, r.Fallback...), nil
					}
				}
				return []ai.Target{{Provider: p, Model: m, Credential: p}}, nil
			}
		}
	}
	var best *Route
	for i := range g.cfg.Routes {
		r := &g.cfg.Routes[i]
		if strings.HasPrefix(model, r.Prefix) && (best == nil || len(r.Prefix) > len(best.Prefix)) {
			best = r
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no route for model %q", model)
	}
	return append([]ai.Target{{Provider: best.Provider, Model: model, Credential: best.Credential, BaseURL: best.BaseURL, APIKey: best.APIKey}}, best.Fallback...), nil
}

func (g *gateway) meta(r *http.Request) ai.Meta {
	return ai.Meta{Connections: g.cfg.Connections, Logger: g.log.With("path", r.URL.Path)}
}

// writeError answers in OpenAI's error format.
func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": code}})
}

// writeCallError maps a failed call to an OpenAI-style error.
func writeCallError(w http.ResponseWriter, err error) {
	var be *ai.BudgetError
	if errors.As(err, &be) {
		w.Header().Set("Retry-After", fmt.Sprint(int(time.Until(be.Until).Seconds())+1))
		writeError(w, http.StatusTooManyRequests, "insufficient_quota", "budget_exceeded", be.Error())
		return
	}
	var ce *step.CodedError
	if errors.As(err, &ce) {
		writeError(w, http.StatusBadRequest, "invalid_request_error", ce.Code, err.Error())
		return
	}
	var pe *ai.ProviderError
	if errors.As(err, &pe) && pe.Status >= 400 {
		status := pe.Status
		if status == 529 {
			status = http.StatusServiceUnavailable
		}
		if pe.RetryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(pe.RetryAfter.Seconds())))
		}
		typ := "api_error"
		if status < 500 {
			typ = "invalid_request_error"
		}
		writeError(w, status, typ, pe.Type, err.Error())
		return
	}
	writeError(w, http.StatusBadGateway, "api_error", "upstream_error", err.Error())
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "body_too_large", "the request body is too large")
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json", "We could not parse the JSON body of your request: "+err.Error())
		return false
	}
	return true
}

func (g *gateway) models(w http.ResponseWriter, _ *http.Request) {
	names := make([]string, 0, len(g.cfg.Service.Prices()))
	for name := range g.cfg.Service.Prices() {
		names = append(names, name)
	}
	sort.Strings(names)
	data := make([]any, 0, len(names))
	for _, n := range names {
		owner := "openai"
		if ts, err := g.targets(n); err == nil {
			owner = ts[0].Provider
		}
		data = append(data, map[string]any{"id": n, "object": "model", "created": 0, "owned_by": owner})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
}
