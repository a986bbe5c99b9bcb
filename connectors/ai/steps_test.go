package ai_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/connectors/core"
	"github.com/weftworks/weft/internal/fakes/aifake"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

type testBundle struct {
	fake  *aifake.Server
	svc   *ai.Service
	usage *ai.MemoryUsage
	reg   *step.Registry
	env   *steptest.Env
}

func setup(t *testing.T, respond func(*aifake.Call) aifake.Reply, cfg ai.Config) *testBundle {
	t.Helper()
	fake := aifake.New("sk-test", respond)
	t.Cleanup(fake.Close)
	usage := ai.NewMemoryUsage()
	cfg.Usage = usage
	svc, err := ai.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	if err := core.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := svc.Register(reg); err != nil {
		t.Fatal(err)
	}
	env := steptest.NewEnv()
	env.Connections = step.CredentialsOnly(fake.CredentialsFor("sk-test"))
	env.Emit = func(string, any) {}
	return &testBundle{fake: fake, svc: svc, usage: usage, reg: reg, env: env}
}

var analysisSchema = map[string]any{"type": "object", "required": []any{"sentiment", "category", "summary"}, "additionalProperties": false,
	"properties": map[string]any{
		"sentiment": map[string]any{"type": "string", "enum": []any{"positive", "neutral", "negative"}},
		"category":  map[string]any{"type": "string"},
		"summary":   map[string]any{"type": "string"},
	}}

func models() map[string]string {
	return map[string]string{ai.OpenAI: "gpt-4o-mini", ai.Anthropic: "claude-haiku-4-5", ai.Gemini: "gemini-2.5-flash", ai.OpenAICompatible: "llama3.1"}
}

func credentialOf(provider string) string {
	if provider == ai.OpenAICompatible {
		return "compatible"
	}
	return provider
}

func TestChatStructuredOutputEveryProvider(t *testing.T) {
	t.Parallel()
	for provider, model := range models() {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *aifake.Call) aifake.Reply {
				return aifake.Reply{Text: `{"sentiment":"negative","category":"bug","summary":"Export broken."}`, InputTokens: 100, OutputTokens: 20}
			}, ai.Config{})
			var deltas []string
			b.env.Emit = func(kind string, data any) {
				if kind == "delta" {
					deltas = append(deltas, data.(map[string]any)["text"].(string))
				}
			}
			res, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
				"provider": provider, "model": model, "credential": credentialOf(provider), "prompt": "The export is broken!",
				"output_schema": analysisSchema, "cache": "auto", "stream": true,
			}))
			if err != nil {
				t.Fatal(err)
			}
			out := res.Output.(map[string]any)
			if out["json"].(map[string]any)["sentiment"] != "negative" || out["provider"] != provider || out["cache_hit"] != false {
				t.Fatalf("output = %v", out)
			}
			u := out["usage"].(map[string]any)
			if u["input_tokens"] != 100.0 || u["output_tokens"] != 20.0 {
				t.Fatalf("usage = %v", u)
			}
			if strings.Join(deltas, "") != out["text"] {
				t.Fatalf("deltas %q do not add up to the text", deltas)
			}
		})
	}
}

func TestChatRepairsThenFailsClearly(t *testing.T) {
	t.Parallel()
	answers := []string{`{"sentiment":"furious"}`, `{"sentiment":"negative","category":"bug","summary":"ok"}`}
	b := setup(t, func(c *aifake.Call) aifake.Reply {
		return aifake.Reply{Text: answers[min(len(c.Messages)/2, 1)]}
	}, ai.Config{})
	with := map[string]any{"model": "gpt-4o-mini", "credential": "openai", "prompt": "x", "output_schema": analysisSchema}
	res, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, with))
	if err != nil {
		t.Fatal(err)
	}
	out := res.Output.(map[string]any)
	if out["calls"] != 2.0 || out["json"].(map[string]any)["sentiment"] != "negative" {
		t.Fatalf("after a repair: %v", out)
	}
	last := b.fake.Calls()[1]
	if !strings.Contains(last.LastUser(), "does not match output_schema") {
		t.Fatalf("the repair request did not show the error: %q", last.LastUser())
	}

	b.fake.SetRespond(func(*aifake.Call) aifake.Reply { return aifake.Reply{Text: "I think it is bad"} })
	_, err = steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, with))
	var ce *step.CodedError
	if !errors.As(err, &ce) || ce.Code != "output_schema" || !strings.Contains(err.Error(), "I think it is bad") || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("err = %v", err)
	}
}

func TestChatCacheAndCost(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *aifake.Call) aifake.Reply {
		return aifake.Reply{Text: "Paris", InputTokens: 1_000_000, OutputTokens: 500_000, CachedTokens: 200_000}
	}, ai.Config{})
	run := func(with map[string]any) map[string]any {
		t.Helper()
		res, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, with))
		if err != nil {
			t.Fatal(err)
		}
		return res.Output.(map[string]any)
	}
	with := map[string]any{"model": "gpt-4o-mini", "credential": "openai", "prompt": "Capital of France?", "temperature": 0}
	first := run(with)
	// gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per 1M.
	want := 0.8*0.15 + 0.2*0.075 + 0.5*0.60
	if math.Abs(first["cost_usd"].(float64)-want) > 1e-9 || first["cache_hit"] != false {
		t.Fatalf("first: cost %v, want %v (%v)", first["cost_usd"], want, first)
	}
	second := run(with)
	if second["cache_hit"] != true || second["cost_usd"] != 0.0 || second["usage"].(map[string]any)["input_tokens"] != 0.0 || second["text"] != "Paris" {
		t.Fatalf("second: %v", second)
	}
	if n := b.fake.Count(nil); n != 1 {
		t.Fatalf("the fake got %d calls, want 1 (the second was a cache hit)", n)
	}
	// temperature 0.7 is not cached by default; cache: on forces it.
	with["temperature"] = 0.7
	run(with)
	run(with)
	if n := b.fake.Count(nil); n != 3 {
		t.Fatalf("calls = %d, want 3", n)
	}
	with["cache"] = "on"
	run(with)
	run(with)
	if n := b.fake.Count(nil); n != 4 {
		t.Fatalf("calls = %d, want 4", n)
	}
	// Usage records match what the fake reported.
	tot, _ := b.usage.SumUsage(context.Background(), weft.UsageQuery{})
	fake := b.fake.TotalUsage()
	if tot[0].Calls != 4 || tot[0].InputTokens != fake.InputTokens || tot[0].OutputTokens != fake.OutputTokens || tot[0].CachedTokens != fake.CachedTokens {
		t.Fatalf("recorded %+v, the fake reported %+v", tot[0], fake)
	}
	if math.Abs(tot[0].CostUSD-4*want) > 1e-9 {
		t.Fatalf("recorded cost %v, want %v", tot[0].CostUSD, 4*want)
	}
}

func TestChatFallback(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *aifake.Call) aifake.Reply {
		switch c.Provider {
		case aifake.OpenAI:
			return aifake.Reply{Status: 429, RetryAfter: 3}
		case aifake.Anthropic:
			return aifake.Reply{Status: 529}
		}
		return aifake.Reply{Text: "from gemini"}
	}, ai.Config{})
	res, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
		"model": "gpt-4o-mini", "credential": "openai", "prompt": "hi",
		"fallback": []any{
			map[string]any{"provider": "anthropic", "model": "claude-haiku-4-5", "credential": "anthropic"},
			map[string]any{"provider": "gemini", "model": "gemini-2.5-flash", "credential": "gemini"},
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	out := res.Output.(map[string]any)
	fb := out["fallbacks"].([]any)
	if out["text"] != "from gemini" || out["provider"] != "gemini" || len(fb) != 2 ||
		fb[0].(map[string]any)["status"] != 429.0 || fb[1].(map[string]any)["status"] != 529.0 {
		t.Fatalf("output = %v", out)
	}
	for _, p := range []string{aifake.OpenAI, aifake.Anthropic, aifake.Gemini} {
		if n := b.fake.Count(func(c *aifake.Call) bool { return c.Provider == p }); n != 1 {
			t.Fatalf("%s got %d calls, want 1", p, n)
		}
	}
	// A 400 is not retryable: no fallback, a step error.
	b.fake.SetRespond(func(c *aifake.Call) aifake.Reply { return aifake.Reply{Status: 400} })
	_, err = steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
		"model": "gpt-4o-mini", "credential": "openai", "prompt": "hi",
		"fallback": []any{map[string]any{"provider": "gemini", "model": "gemini-2.5-flash", "credential": "gemini"}},
	}))
	if ok, _ := step.IsRetryable(err); err == nil || ok || b.fake.Count(func(c *aifake.Call) bool { return c.Provider == aifake.Gemini }) != 1 {
		t.Fatalf("400: err %v, retryable %v", err, ok)
	}
	// Every model failing with 429: the engine retries after Retry-After.
	b.fake.SetRespond(func(c *aifake.Call) aifake.Reply { return aifake.Reply{Status: 429, RetryAfter: 9} })
	_, err = steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{"model": "gpt-4o-mini", "credential": "openai", "prompt": "hi"}))
	if ok, after := step.IsRetryable(err); !ok || after != 9*time.Second {
		t.Fatalf("429: err %v retryable %v after %s", err, ok, after)
	}
}

func TestBudgets(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	b := setup(t, func(c *aifake.Call) aifake.Reply {
		return aifake.Reply{Text: "ok", InputTokens: 600, OutputTokens: 0}
	}, ai.Config{Now: func() time.Time { return now }, Budgets: []ai.Budget{
		{Workflow: steptest.Workflow, Period: "daily", Tokens: 1000},
		{Credential: "gemini", Period: "monthly", USD: 0.0000001, OnExceed: "wait"},
	}})
	var events []string
	b.env.Emit = func(kind string, data any) { events = append(events, kind) }
	with := map[string]any{"model": "gpt-4o-mini", "credential": "openai", "prompt": "hi"}
	for i := range 2 {
		if _, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, with)); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, with))
	var ce *step.CodedError
	if !errors.As(err, &ce) || ce.Code != "budget_exceeded" || !strings.Contains(err.Error(), "of 1000 tokens") {
		t.Fatalf("third call: %v", err)
	}
	if b.fake.Count(nil) != 2 || len(events) == 0 || events[len(events)-1] != "budget_exceeded" {
		t.Fatalf("calls %d, events %v", b.fake.Count(nil), events)
	}
	// A credential budget that waits: the step suspends until next month.
	other := steptest.NewRequestIn(b.env, map[string]any{"provider": "gemini", "model": "gemini-2.5-flash", "credential": "gemini", "prompt": "hi"})
	other.Workflow = "another"
	if _, err := steptest.Run(t, b.reg, ai.TypeChat, other); err != nil {
		t.Fatal(err)
	}
	res, err := steptest.Run(t, b.reg, ai.TypeChat, other)
	if err != nil || res.Suspend == nil || !res.Suspend.Until.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("wait budget: %+v %v", res.Suspend, err)
	}
}

func TestClassifyExtractEmbed(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *aifake.Call) aifake.Reply {
		if strings.Contains(c.System, "Classify") {
			return aifake.Reply{Text: `{"label":"billing","confidence":0.92}`}
		}
		return aifake.Reply{Text: `{"invoice_number":"INV-7","total":120.5}`}
	}, ai.Config{})
	res, err := steptest.Run(t, b.reg, ai.TypeClassify, steptest.NewRequestIn(b.env, map[string]any{
		"provider": "anthropic", "model": "claude-haiku-4-5", "credential": "anthropic", "text": "I was charged twice", "labels": []any{"billing", "bug"}}))
	if err != nil {
		t.Fatal(err)
	}
	if out := res.Output.(map[string]any); out["label"] != "billing" || out["confidence"] != 0.92 {
		t.Fatalf("classify: %v", out)
	}
	if sch := b.fake.Calls()[0].Schema; sch == nil || !strings.Contains(mustJSON(sch), `"enum":["billing","bug"]`) {
		t.Fatalf("classify schema sent: %v", sch)
	}
	res, err = steptest.Run(t, b.reg, ai.TypeExtract, steptest.NewRequestIn(b.env, map[string]any{
		"provider": "gemini", "model": "gemini-2.5-flash", "credential": "gemini", "text": "Invoice INV-7 over 120.50 EUR",
		"schema": map[string]any{"type": "object", "required": []any{"invoice_number", "total"}, "properties": map[string]any{
			"invoice_number": map[string]any{"type": "string"}, "total": map[string]any{"type": "number"}}}}))
	if err != nil {
		t.Fatal(err)
	}
	if j := res.Output.(map[string]any)["json"].(map[string]any); j["invoice_number"] != "INV-7" || j["total"] != 120.5 {
		t.Fatalf("extract: %v", j)
	}
	for _, p := range []string{"openai", "gemini"} {
		res, err = steptest.Run(t, b.reg, ai.TypeEmbed, steptest.NewRequestIn(b.env, map[string]any{
			"provider": p, "model": "text-embedding-3-small", "credential": p, "input": []any{"a", "b"}}))
		if err != nil {
			t.Fatal(err)
		}
		if e := res.Output.(map[string]any)["embeddings"].([]any); len(e) != 2 {
			t.Fatalf("%s embeddings: %v", p, e)
		}
	}
	_, err = steptest.Run(t, b.reg, ai.TypeEmbed, steptest.NewRequestIn(b.env, map[string]any{
		"provider": "anthropic", "model": "x", "credential": "anthropic", "input": "a"}))
	if err == nil || !strings.Contains(err.Error(), "no embeddings API") {
		t.Fatalf("anthropic embed: %v", err)
	}
}

func TestPromptFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "prompts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prompts", "triage.md"), []byte("Ticket from {{ customer.name }}:\n{{ text }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := setup(t, func(c *aifake.Call) aifake.Reply { return aifake.Reply{Text: c.LastUser()} }, ai.Config{PromptDir: dir})
	res, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
		"model": "gpt-4o-mini", "credential": "openai", "prompt_file": "prompts/triage.md",
		"vars": map[string]any{"customer": map[string]any{"name": "Ada"}, "text": "Broken export"}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Output.(map[string]any)["text"]; got != "Ticket from Ada:\nBroken export" {
		t.Fatalf("prompt = %q", got)
	}
	_, err = steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
		"model": "gpt-4o-mini", "credential": "openai", "prompt_file": "../secret.txt"}))
	if err == nil || !strings.Contains(err.Error(), "inside the workflow directory") {
		t.Fatalf("escape: %v", err)
	}
	// A symlink inside the directory that leads out of it is refused too.
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("TOP-SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "prompts", "link.md")); err != nil {
		t.Fatal(err)
	}
	res, err = steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
		"model": "gpt-4o-mini", "credential": "openai", "prompt_file": "prompts/link.md"}))
	if err == nil || strings.Contains(mustJSON(res.Output), "TOP-SECRET") {
		t.Fatalf("a symlink out of the workflow directory was read: %v %v", err, res.Output)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
