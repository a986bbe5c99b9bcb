package ai

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/step"
)

// Meter counts AI calls; metrics.Metrics implements it. It is declared
// here so the connector needs no metrics (and, through it, store) package.
type Meter interface {
	// AICall counts one call by outcome ("ok", "error", ...).
	AICall(workflow, provider, model, outcome string)
	// AIUsage adds a call's tokens and cost.
	AIUsage(workflow, provider, model string, input, output, cached int64, costUSD float64)
}

// Config configures a Service. Zero values take the defaults of WithDefaults.
type Config struct {
	// Prices is the price table (default DefaultPrices, plus overrides).
	Prices Prices
	// Cache keeps answers of cacheable calls (default: 1,000 answers for an hour, in memory).
	Cache Cache
	// Usage records every call and answers budget queries (default: in memory).
	Usage UsageStore
	// Budgets are checked before every call.
	Budgets []Budget
	// Metrics counts calls, tokens and cost (metrics.Metrics); nil for none.
	Metrics Meter
	Logger  *slog.Logger
	// HTTP is used when a step's Env lends no client (and by the gateway).
	HTTP *http.Client
	// Breakers are the per-host circuit breakers (shared with
	// http.request) a connection with a breaker setting calls through; nil
	// for none.
	Breakers *circuit.Breakers
	// PromptDir is where prompt_file paths are read from (the directory of
	// the workflow files); "" forbids prompt_file.
	PromptDir string
	// Providers builds a provider for a name and endpoint (default
	// NewProvider); tests may replace it.
	Providers func(name string, ep Endpoint) (Provider, error)
	Now       func() time.Time
	// Tools lists the tools of MCP servers for ai.agent's `tools: [{mcp:
	// CONNECTION}]`; nil refuses such tools with a clear error.
	Tools ToolSource
}

// ToolSource lists the tools of a server of tools (an MCP connection). Its
// tools are called through the step type it names (mcp.call), with the
// model's arguments in that step's `arguments`.
type ToolSource interface {
	// Tools lists the server's tools as the workflow of req may see them.
	Tools(ctx context.Context, req *step.Request, connection string) ([]Tool, error)
	// CallStep is the step type that calls one of its tools; its inputs are
	// `connection`, `tool` and `arguments`.
	CallStep() string
}

// WithDefaults returns a copy of c with defaults filled in.
func (c Config) WithDefaults() Config {
	if c.Prices == nil {
		c.Prices = DefaultPrices()
	}
	if c.Cache == nil {
		c.Cache = NewMemoryCache(1000, time.Hour)
	}
	if c.Usage == nil {
		c.Usage = NewMemoryUsage()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 10 * time.Minute}
	}
	if c.Providers == nil {
		c.Providers = NewProvider
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	for _, b := range c.Budgets {
		if err := b.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Service runs model calls with caching, fallback, budgets and accounting.
// The AI steps and the gateway share one.
type Service struct {
	cfg Config
}

// NewService builds a Service.
func NewService(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg}, nil
}

// Usage returns the usage store (for the usage API).
func (s *Service) Usage() UsageStore { return s.cfg.Usage }

// Prices returns the price table in use.
func (s *Service) Prices() Prices { return s.cfg.Prices }

// NewProvider builds the provider called name.
func NewProvider(name string, ep Endpoint) (Provider, error) {
	switch name {
	case OpenAI:
		return NewOpenAI(ep, false), nil
	case OpenAICompatible:
		if ep.BaseURL == "" {
			return nil, fmt.Errorf("provider openai-compatible needs base_url (e.g. http://localhost:11434/v1 for Ollama)")
		}
		return NewOpenAI(ep, true), nil
	case Anthropic:
		return NewAnthropic(ep), nil
	case Gemini:
		return NewGemini(ep), nil
	}
	return nil, fmt.Errorf("unknown provider %q (use %s)", name, strings.Join(Providers, ", "))
}

// Target is one model to try: a provider, a model and where its key comes
// from (a credential, or an explicit key for servers like Ollama).
type Target struct {
	Provider   string `json:"provider"`
	Model      string `json:"model"`
	Credential string `json:"credential,omitempty"`
	BaseURL    string `json:"base_url,omitempty"`
	APIKey     string `json:"-"`
}

func (t Target) String() string { return t.Provider + "/" + t.Model }

// Meta says who makes a call, for credentials, budgets and usage records.
type Meta struct {
	Workflow, ExecutionID, StepID string
	// Connections lends the targets' credentials with their connection:
	// its HTTP client (mtls, allow_private_net), breaker, token
	// invalidation and status. Nil: targets need explicit keys.
	Connections step.Connections
	HTTP        *http.Client
	Logger      *slog.Logger
	// Emit publishes live events (budget_exceeded, fallback); may be nil.
	Emit func(kind string, data any)
	// Limiter queues calls behind the rate limits of the target's
	// credential (its connection); Ticket keeps the caller's place in line
	// across suspensions. Nil: no limits (the gateway).
	Limiter step.Limiter
	Ticket  string
}

// RateLimited is a call that must wait for its connection's rate limit;
// the step suspends until RetryAt without holding a worker.
type RateLimited struct {
	Connection string
	Grant      step.Grant
}

func (e *RateLimited) Error() string {
	return fmt.Sprintf("connection %q is at its rate limit (%s); waiting until %s", e.Connection, e.Grant.Reason, e.Grant.RetryAt.Format(time.RFC3339))
}

// CallOptions tune one call.
type CallOptions struct {
	Cache   bool
	OnDelta func(string)
}

// Attempt is a try that failed before the answer (or before giving up).
type Attempt struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	Status   int    `json:"status,omitempty"`
	Error    string `json:"error"`
}

// Outcome is a successful call.
type Outcome struct {
	Response *ChatResponse
	Target   Target
	CostUSD  float64
	Priced   bool
	CacheHit bool
	Latency  time.Duration
	// Fallbacks are the tries that failed with a retryable error before
	// Target answered.
	Fallbacks []Attempt
}

// CallError is a call that failed on every target.
type CallError struct {
	Attempts []Attempt
	Last     error
}

func (e *CallError) Error() string {
	if len(e.Attempts) <= 1 {
		return e.Last.Error()
	}
	parts := make([]string, len(e.Attempts))
	for i, a := range e.Attempts {
		parts[i] = a.Provider + "/" + a.Model + ": " + a.Error
	}
	return fmt.Sprintf("all %d models failed: %s", len(e.Attempts), strings.Join(parts, "; "))
}

func (e *CallError) Unwrap() error { return e.Last }

// endpoint resolves where and with which key a target is called.
func (s *Service) endpoint(ctx context.Context, meta Meta, t Target) (Endpoint, error) {
	ep := Endpoint{BaseURL: t.BaseURL, APIKey: t.APIKey, HTTP: meta.HTTP}
	if ep.HTTP == nil {
		ep.HTTP = s.cfg.HTTP
	}
	if t.Credential != "" {
		if err := s.connect(ctx, meta, t, &ep); err != nil {
			return ep, err
		}
	}
	return ep, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Chat calls the first target and, on a retryable error (429, 5xx, 529,
// timeouts, network errors), the next, in order. Budgets are checked before
// each try; a cache hit answers without a call.
func (s *Service) Chat(ctx context.Context, meta Meta, targets []Target, req ChatRequest, opts CallOptions) (*Outcome, error) {
	if len(targets) == 0 {
		return nil, errors.New("no model to call")
	}
	var attempts []Attempt
	var last error
	for i, t := range targets {
		out, err := s.try(ctx, meta, t, req, opts)
		if err == nil {
			out.Fallbacks = attempts
			if len(attempts) > 0 {
				s.count(meta.Workflow, t, "fallback_answer")
			}
			return out, nil
		}
		var rl *RateLimited
		if errors.As(err, &rl) {
			return nil, err // wait for this model rather than fall back
		}
		last = err
		a := Attempt{Provider: t.Provider, Model: t.Model, Error: err.Error()}
		var pe *ProviderError
		if errors.As(err, &pe) {
			a.Status = pe.Status
		}
		attempts = append(attempts, a)
		if !Retryable(err) || ctx.Err() != nil {
			break
		}
		if i+1 < len(targets) {
			next := targets[i+1]
			s.logger(meta).Warn("AI call failed; falling back", "provider", t.Provider, "model", t.Model,
				"next_provider", next.Provider, "next_model", next.Model, "err", err.Error())
			if meta.Emit != nil {
				meta.Emit("fallback", map[string]any{"failed": a, "next": next})
			}
		}
	}
	return nil, &CallError{Attempts: attempts, Last: last}
}

func (s *Service) logger(meta Meta) *slog.Logger {
	if meta.Logger != nil {
		return meta.Logger
	}
	return s.cfg.Logger
}

func (s *Service) try(ctx context.Context, meta Meta, t Target, req ChatRequest, opts CallOptions) (*Outcome, error) {
	if err := s.checkBudgets(ctx, meta.Workflow, t.Credential); err != nil {
		var be *BudgetError
		if errors.As(err, &be) {
			s.logger(meta).Warn("AI budget exceeded", "workflow", meta.Workflow, "credential", t.Credential,
				"period", be.Budget.Period, "spent_usd", be.Spent.CostUSD, "until", be.Until)
			if meta.Emit != nil {
				meta.Emit("budget_exceeded", map[string]any{"budget": be.Budget, "spent": be.Spent, "until": be.Until})
			}
			s.count(meta.Workflow, t, "budget_exceeded")
		}
		return nil, err
	}
	req.Model = t.Model
	key := ""
	if opts.Cache {
		key = CacheKey(t.Provider, &req)
		if resp, ok := s.cfg.Cache.Get(ctx, key); ok {
			s.count(meta.Workflow, t, "cache_hit")
			if opts.OnDelta != nil && resp.Text != "" {
				opts.OnDelta(resp.Text)
			}
			return &Outcome{Response: resp, Target: t, CacheHit: true, Priced: true}, nil
		}
	}
	ep, err := s.endpoint(ctx, meta, t)
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Providers(t.Provider, ep)
	if err != nil {
		return nil, step.Errorf("validation", "%v", err)
	}
	estimate := estimateTokens(&req)
	if meta.Limiter != nil && t.Credential != "" {
		g, err := meta.Limiter.Acquire(ctx, step.LimitRequest{Workflow: meta.Workflow, Connection: t.Credential, Ticket: meta.Ticket, Tokens: estimate})
		if err != nil {
			return nil, fmt.Errorf("rate limit of connection %q: %w", t.Credential, err)
		}
		if !g.OK {
			return nil, &RateLimited{Connection: t.Credential, Grant: g}
		}
		defer g.Release()
	}
	start := time.Now()
	resp, err := p.Chat(ctx, &req, opts.OnDelta)
	latency := time.Since(start)
	settle(ctx, meta, t, err)
	if err != nil {
		s.count(meta.Workflow, t, "error")
		var pe *ProviderError
		if meta.Limiter != nil && t.Credential != "" && errors.As(err, &pe) && pe.Status == 429 && pe.RetryAfter > 0 {
			_ = meta.Limiter.Pause(context.WithoutCancel(ctx), t.Credential, pe.RetryAfter)
		}
		return nil, err
	}
	if meta.Limiter != nil && t.Credential != "" {
		if extra := int(resp.Usage.InputTokens+resp.Usage.OutputTokens) - estimate; extra > 0 {
			_ = meta.Limiter.Record(context.WithoutCancel(ctx), t.Credential, extra)
		}
	}
	if resp.Model == "" {
		resp.Model = t.Model
	}
	cost, priced := s.cfg.Prices.Cost(t.Model, resp.Usage)
	if !priced {
		cost, priced = s.cfg.Prices.Cost(resp.Model, resp.Usage)
	}
	s.record(ctx, meta, t, resp.Usage, cost)
	if opts.Cache && resp.FinishReason != "length" {
		s.cfg.Cache.Put(context.WithoutCancel(ctx), key, resp)
	}
	return &Outcome{Response: resp, Target: t, CostUSD: cost, Priced: priced, Latency: latency}, nil
}

// Embed calls the first target able to embed, with the same fallback rules
// as Chat.
func (s *Service) Embed(ctx context.Context, meta Meta, targets []Target, req EmbedRequest) (*EmbedResponse, *Outcome, error) {
	var attempts []Attempt
	var last error
	for _, t := range targets {
		if err := s.checkBudgets(ctx, meta.Workflow, t.Credential); err != nil {
			return nil, nil, err
		}
		ep, err := s.endpoint(ctx, meta, t)
		if err != nil {
			return nil, nil, err
		}
		p, err := s.cfg.Providers(t.Provider, ep)
		if err != nil {
			return nil, nil, step.Errorf("validation", "%v", err)
		}
		req.Model = t.Model
		start := time.Now()
		resp, err := p.Embed(ctx, &req)
		settle(ctx, meta, t, err)
		if err == nil {
			cost, priced := s.cfg.Prices.Cost(t.Model, resp.Usage)
			s.record(ctx, meta, t, resp.Usage, cost)
			return resp, &Outcome{Target: t, CostUSD: cost, Priced: priced, Latency: time.Since(start), Fallbacks: attempts}, nil
		}
		last = err
		attempts = append(attempts, Attempt{Provider: t.Provider, Model: t.Model, Error: err.Error()})
		if errors.Is(err, ErrUnsupported) {
			last = step.Errorf("validation", "%s has no embeddings API; use openai, gemini or openai-compatible", t.Provider)
			continue
		}
		if !Retryable(err) {
			break
		}
	}
	return nil, nil, &CallError{Attempts: attempts, Last: last}
}

// record writes a usage record and updates the metrics. A failed write is
// logged, not returned: the model already answered and was paid for.
func (s *Service) record(ctx context.Context, meta Meta, t Target, u Usage, cost float64) {
	rec := weft.UsageRecord{ID: callID(meta), At: s.cfg.Now().UTC(), Workflow: meta.Workflow, ExecutionID: meta.ExecutionID,
		StepID: meta.StepID, Credential: t.Credential, Provider: t.Provider, Model: t.Model,
		InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CachedTokens: u.CachedTokens, CostUSD: cost}
	if err := s.cfg.Usage.RecordUsage(context.WithoutCancel(ctx), rec); err != nil {
		s.logger(meta).Error("recording AI usage", "provider", t.Provider, "model", t.Model, "err", err)
	}
	s.count(meta.Workflow, t, "ok")
	if m := s.cfg.Metrics; m != nil {
		m.AIUsage(meta.Workflow, t.Provider, t.Model, u.InputTokens, u.OutputTokens, u.CachedTokens, cost)
	}
}

func (s *Service) count(workflow string, t Target, outcome string) {
	if m := s.cfg.Metrics; m != nil {
		m.AICall(workflow, t.Provider, t.Model, outcome)
	}
}

func callID(meta Meta) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	base := meta.ExecutionID + "/" + meta.StepID
	if meta.ExecutionID == "" {
		base = "gateway"
	}
	return base + "/" + hex.EncodeToString(b[:])
}

// estimateTokens guesses a request's size for rate limits: about four
// characters a token.
func estimateTokens(req *ChatRequest) int {
	n := len(req.System)
	for _, m := range req.Messages {
		n += len(m.Content)
	}
	return n/4 + req.MaxTokens
}
