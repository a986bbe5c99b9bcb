package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// chat runs ai.chat.
type chat struct {
	s    *Service
	spec step.Spec
}

var _ step.Handler = chat{}

func (h chat) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	ts, err := targets(in, req.With)
	if err != nil {
		return step.Result{}, err
	}
	creq, err := h.s.chatRequest(in, req.With)
	if err != nil {
		return step.Result{}, err
	}
	schema, _ := req.With["output_schema"].(map[string]any)
	return h.s.answer(ctx, req, in, ts, creq, schema)
}

// answer makes the call (with a repair attempt for a schema mismatch) and
// turns the outcome into the step's result.
func (s *Service) answer(ctx context.Context, req *step.Request, in input.Reader, ts []Target, creq ChatRequest, schema map[string]any) (step.Result, error) {
	mode, err := in.String("cache")
	if err != nil {
		return step.Result{}, err
	}
	stream := true
	if in.Has("stream") {
		if stream, err = in.Bool("stream"); err != nil {
			return step.Result{}, err
		}
	}
	res, err := s.structured(ctx, metaOf(req), ts, creq, schema, CallOptions{Cache: cacheable(mode, &creq), OnDelta: deltas(req, stream)})
	if err != nil {
		return suspendOrFail(err, req.State)
	}
	return step.Result{Output: res.output()}, nil
}

// result is what one logical answer took: possibly two calls (a repair).
type result struct {
	last     *Outcome
	json     any
	usage    Usage
	cost     float64
	priced   bool
	calls    int
	cacheHit bool
	latency  time.Duration
	fallback []Attempt
}

func (r *result) add(o *Outcome) {
	r.last = o
	r.calls++
	if !o.CacheHit { // a hit used no tokens
		r.usage = r.usage.Add(o.Response.Usage)
	}
	r.cost += o.CostUSD
	r.priced = o.Priced
	r.cacheHit = o.CacheHit
	r.latency += o.Latency
	r.fallback = append(r.fallback, o.Fallbacks...)
}

func (r *result) output() map[string]any {
	resp := r.last.Response
	usage := r.usage
	out := map[string]any{
		"text": resp.Text, "json": r.json, "finish_reason": resp.FinishReason,
		"usage":    map[string]any{"input_tokens": usage.InputTokens, "output_tokens": usage.OutputTokens, "cached_tokens": usage.CachedTokens},
		"cost_usd": r.cost, "model": resp.Model, "provider": r.last.Target.Provider,
		"latency_ms": r.latency.Milliseconds(), "cache_hit": r.cacheHit, "calls": r.calls,
	}
	if len(r.fallback) > 0 {
		out["fallbacks"] = r.fallback
	}
	if !r.priced {
		out["cost_note"] = fmt.Sprintf("no price for model %s: add it to the prices of the AI config file", resp.Model)
	}
	return out
}

// structured makes a call and, with a schema, validates the answer, asking
// the model once to repair an answer that does not match.
func (s *Service) structured(ctx context.Context, meta Meta, ts []Target, creq ChatRequest, schema map[string]any, opts CallOptions) (*result, error) {
	r := &result{}
	if schema == nil {
		o, err := s.Chat(ctx, meta, ts, creq, opts)
		if err != nil {
			return nil, err
		}
		r.add(o)
		return r, nil
	}
	sch, err := compileSchema(schema)
	if err != nil {
		return nil, input.Invalid("output_schema", "is not a valid JSON Schema: %v", err)
	}
	creq.Schema = &Schema{Name: "answer", Schema: schema}
	o, err := s.Chat(ctx, meta, ts, creq, opts)
	if err != nil {
		return nil, err
	}
	r.add(o)
	v, verr := parseAnswer(sch, o.Response.Text)
	if verr == nil {
		r.json = v
		return r, nil
	}
	// One repair: show the model its answer and the error, on the model
	// that answered.
	s.logger(meta).Info("AI answer does not match output_schema; asking for a repair", "err", verr.Error())
	repair := creq
	repair.Messages = append(append([]Message(nil), creq.Messages...),
		Message{Role: "assistant", Content: o.Response.Text},
		Message{Role: "user", Content: "Your answer is not valid: " + verr.Error() + ". Answer again with only the corrected JSON."})
	o2, err := s.Chat(ctx, meta, []Target{o.Target}, repair, CallOptions{OnDelta: opts.OnDelta})
	if err != nil {
		return nil, err
	}
	r.add(o2)
	v, verr2 := parseAnswer(sch, o2.Response.Text)
	if verr2 != nil {
		return nil, step.Errorf("output_schema", "the model's answer does not match output_schema after one repair attempt: %v; raw answer: %s",
			verr2, truncate(o2.Response.Text, 2000))
	}
	r.json = v
	return r, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// metaOf describes the calling step.
func metaOf(req *step.Request) Meta {
	m := Meta{Workflow: req.Workflow, ExecutionID: req.ExecutionID, StepID: req.StepID}
	if req.Item >= 0 {
		m.StepID = fmt.Sprintf("%s[%d]", req.StepID, req.Item)
	}
	if req.Env != nil {
		m.Connections, m.HTTP, m.Logger, m.Emit = req.Env.Connections, req.Env.HTTP, req.Env.Logger, req.Env.Emit
		m.Limiter, m.Ticket = req.Env.Limiter, req.IdempotencyKey
	}
	return m
}

// deltas publishes streamed text on the execution's event stream.
func deltas(req *step.Request, stream bool) func(string) {
	if !stream || req.Env == nil || req.Env.Emit == nil {
		return nil
	}
	return func(d string) { req.Env.Emit("delta", map[string]any{"text": d}) }
}

// suspendOrFail turns a failed call into the step's answer: a wait for a
// budget that asks to wait, a retryable error for the engine's retry policy
// when the last model's error was retryable, a coded error otherwise.
// state is kept across the wait.
func suspendOrFail(err error, state any) (step.Result, error) {
	if raw, ok := state.(json.RawMessage); ok && len(raw) == 0 {
		state = nil
	}
	var rl *RateLimited
	if errors.As(err, &rl) {
		return rl.Grant.Wait(state), nil
	}
	var be *BudgetError
	if errors.As(err, &be) {
		if be.Wait {
			return step.Result{Suspend: &step.Suspend{Until: be.Until, State: state, Reason: "ai_budget"}}, nil
		}
		return step.Result{}, step.Errorf("budget_exceeded", "%v", be)
	}
	var ce *step.CodedError
	if errors.As(err, &ce) {
		return step.Result{}, err
	}
	if Retryable(err) {
		var pe *ProviderError
		after := time.Duration(0)
		if errors.As(err, &pe) {
			after = pe.RetryAfter
		}
		return step.Result{}, step.Retryable(err, after)
	}
	if errors.Is(err, context.Canceled) {
		return step.Result{}, err
	}
	return step.Result{}, step.Errorf("ai_error", "%v", err)
}
