package cli

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/gateway"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// The AI service counts its calls in the process metrics.
var _ ai.Meter = (*metrics.Metrics)(nil)

// aiConfigFile is the file named by --ai-config (see docs/ai.md).
type aiConfigFile struct {
	// Prices override or add entries of the built-in price table (USD per
	// million tokens).
	Prices  ai.Prices   `yaml:"prices"`
	Budgets []ai.Budget `yaml:"budgets"`
	Cache   struct {
		TTL        string `yaml:"ttl"`
		MaxEntries int    `yaml:"max_entries"`
	} `yaml:"cache"`
	Gateway struct {
		Disabled bool   `yaml:"disabled"`
		Cache    string `yaml:"cache"` // auto, on, off
		Routes   []struct {
			gateway.Route `yaml:",inline"`
			APIKeyEnv     string `yaml:"api_key_env"`
		} `yaml:"routes"`
	} `yaml:"gateway"`
}

// loadAIConfig reads --ai-config; "" gives the defaults.
func loadAIConfig(env *Env, path string) (aiConfigFile, error) {
	var c aiConfigFile
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("--ai-config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("--ai-config %s: %w", path, err)
	}
	for i := range c.Gateway.Routes {
		r := &c.Gateway.Routes[i]
		if r.APIKeyEnv != "" {
			r.APIKey = env.Getenv(r.APIKeyEnv)
			if r.APIKey == "" {
				return c, fmt.Errorf("--ai-config %s: gateway route %q: environment variable %s is empty", path, r.Prefix, r.APIKeyEnv)
			}
		}
	}
	return c, nil
}

// newAIService builds the service behind the AI steps and the gateway: usage
// records in the store, prices and budgets from the config file.
func newAIService(c aiConfigFile, st store.Store, m *metrics.Metrics, logger *slog.Logger, client *http.Client, breakers *circuit.Breakers, promptDir string, shared bool, tools ai.ToolSource) (*ai.Service, error) {
	ttl := time.Hour
	if c.Cache.TTL != "" {
		d, err := time.ParseDuration(c.Cache.TTL)
		if err != nil {
			return nil, fmt.Errorf("--ai-config: cache.ttl: %w", err)
		}
		ttl = d
	}
	maxEntries := c.Cache.MaxEntries
	if maxEntries <= 0 {
		maxEntries = 1000
	}
	var cache ai.Cache = ai.NewMemoryCache(maxEntries, ttl)
	if shared {
		// every process reuses the answers any of them paid for
		cache = ai.NewStoreCache(st, maxEntries, ttl, logger)
	}
	svc, err := ai.NewService(ai.Config{
		Prices: ai.DefaultPrices().With(c.Prices), Cache: cache, Usage: st,
		Budgets: c.Budgets, Metrics: m, Logger: logger, HTTP: client, Breakers: breakers, PromptDir: promptDir,
		Tools: tools,
	})
	if err != nil {
		return nil, fmt.Errorf("--ai-config: %w", err)
	}
	return svc, nil
}

// withGateway mounts the OpenAI-compatible gateway at /v1/ in front of the
// API handler, unless the config file disables it.
func withGateway(c aiConfigFile, svc *ai.Service, tokens api.TokenVerifier, conns step.Connections, logger *slog.Logger, next http.Handler) (http.Handler, error) {
	if c.Gateway.Disabled {
		return next, nil
	}
	var routes []gateway.Route
	for _, r := range c.Gateway.Routes {
		routes = append(routes, r.Route)
	}
	gw, err := gateway.New(gateway.Config{Service: svc, Tokens: tokens, Routes: routes, Connections: conns,
		Logger: logger.With("component", "gateway"), Cache: c.Gateway.Cache})
	if err != nil {
		return nil, fmt.Errorf("--ai-config: %w", err)
	}
	return mount("/v1/", gw, next), nil
}
