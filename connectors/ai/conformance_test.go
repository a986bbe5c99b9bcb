package ai_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/internal/fakes/aifake"
)

// providerCase is one provider pointed at the fake.
type providerCase struct {
	name  string
	model string
	make  func(f *aifake.Server, key string) ai.Provider
	embed bool
}

func providerCases() []providerCase {
	return []providerCase{
		{ai.OpenAI, "gpt-4o-mini", func(f *aifake.Server, key string) ai.Provider {
			return ai.NewOpenAI(ai.Endpoint{BaseURL: f.OpenAIURL(), APIKey: key}, false)
		}, true},
		{ai.OpenAICompatible, "llama3.1", func(f *aifake.Server, key string) ai.Provider {
			return ai.NewOpenAI(ai.Endpoint{BaseURL: f.OpenAIURL(), APIKey: key}, true)
		}, true},
		{ai.Anthropic, "claude-sonnet-4-5", func(f *aifake.Server, key string) ai.Provider {
			return ai.NewAnthropic(ai.Endpoint{BaseURL: f.AnthropicURL(), APIKey: key})
		}, false},
		{ai.Gemini, "gemini-2.5-flash", func(f *aifake.Server, key string) ai.Provider {
			return ai.NewGemini(ai.Endpoint{BaseURL: f.GeminiURL(), APIKey: key})
		}, true},
	}
}

// TestProviderConformance runs the same checks against every provider
// through the fake that speaks its wire format.
func TestProviderConformance(t *testing.T) {
	t.Parallel()
	for _, pc := range providerCases() {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range conformanceChecks {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					fake := aifake.New("sk-test", nil)
					t.Cleanup(fake.Close)
					tc.run(t, pc, fake)
				})
			}
		})
	}
}

var conformanceChecks = []struct {
	name string
	run  func(t *testing.T, pc providerCase, f *aifake.Server)
}{
	{"text answer with usage", func(t *testing.T, pc providerCase, f *aifake.Server) {
		f.SetRespond(func(c *aifake.Call) aifake.Reply {
			return aifake.Reply{Text: "Hello, " + c.LastUser(), InputTokens: 12, OutputTokens: 5, CachedTokens: 4}
		})
		temp := 0.0
		resp, err := pc.make(f, "sk-test").Chat(context.Background(), &ai.ChatRequest{Model: pc.model, System: "Be brief.",
			Messages: []ai.Message{{Role: "user", Content: "Ada"}}, Temperature: &temp, MaxTokens: 100}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Text != "Hello, Ada" || resp.FinishReason != "stop" {
			t.Fatalf("answer = %+v", resp)
		}
		if resp.Usage != (ai.Usage{InputTokens: 12, OutputTokens: 5, CachedTokens: 4}) {
			t.Fatalf("usage = %+v, want the fake's 12/5/4", resp.Usage)
		}
		c := f.Calls()[0]
		if c.System != "Be brief." || c.Model != pc.model || c.Temperature == nil || *c.Temperature != 0 {
			t.Fatalf("the fake received %+v", c)
		}
	}},
	{"streamed answer", func(t *testing.T, pc providerCase, f *aifake.Server) {
		f.SetRespond(func(c *aifake.Call) aifake.Reply {
			return aifake.Reply{Text: "The quick brown fox jumps.", InputTokens: 7, OutputTokens: 6}
		})
		var deltas []string
		resp, err := pc.make(f, "sk-test").Chat(context.Background(), &ai.ChatRequest{Model: pc.model,
			Messages: []ai.Message{{Role: "user", Content: "go"}}}, func(d string) { deltas = append(deltas, d) })
		if err != nil {
			t.Fatal(err)
		}
		if len(deltas) < 2 || strings.Join(deltas, "") != "The quick brown fox jumps." || resp.Text != "The quick brown fox jumps." {
			t.Fatalf("deltas %q, text %q", deltas, resp.Text)
		}
		if resp.Usage.InputTokens != 7 || resp.Usage.OutputTokens != 6 {
			t.Fatalf("streamed usage = %+v", resp.Usage)
		}
		if !f.Calls()[0].Stream {
			t.Fatal("the fake did not see a streaming request")
		}
	}},
	{"tool call round trip", func(t *testing.T, pc providerCase, f *aifake.Server) {
		f.SetRespond(func(c *aifake.Call) aifake.Reply {
			if c.ToolResults() == 0 {
				return aifake.Reply{ToolCalls: []aifake.ToolCall{{Name: "get_weather", Args: map[string]any{"city": "Paris"}}}}
			}
			return aifake.Reply{Text: "Sunny in Paris: " + c.Messages[len(c.Messages)-1].Text}
		})
		p := pc.make(f, "sk-test")
		tools := []ai.Tool{{Name: "get_weather", Description: "Weather for a city",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}}}}
		for _, stream := range []bool{false, true} {
			msgs := []ai.Message{{Role: "user", Content: "Weather in Paris?"}}
			var onDelta func(string)
			if stream {
				onDelta = func(string) {}
			}
			r1, err := p.Chat(context.Background(), &ai.ChatRequest{Model: pc.model, Messages: msgs, Tools: tools}, onDelta)
			if err != nil {
				t.Fatal(err)
			}
			if len(r1.ToolCalls) != 1 || r1.ToolCalls[0].Name != "get_weather" || r1.FinishReason != "tool_calls" {
				t.Fatalf("stream=%v: first answer = %+v", stream, r1)
			}
			var args map[string]any
			if err := json.Unmarshal(r1.ToolCalls[0].Arguments, &args); err != nil || args["city"] != "Paris" {
				t.Fatalf("stream=%v: arguments %s", stream, r1.ToolCalls[0].Arguments)
			}
			msgs = append(msgs, ai.Message{Role: "assistant", ToolCalls: r1.ToolCalls},
				ai.Message{Role: "tool", ToolCallID: r1.ToolCalls[0].ID, Name: "get_weather", Content: `{"temp_c":21}`})
			r2, err := p.Chat(context.Background(), &ai.ChatRequest{Model: pc.model, Messages: msgs, Tools: tools}, onDelta)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r2.Text, `21`) {
				t.Fatalf("stream=%v: the tool result did not reach the model: %+v", stream, r2)
			}
		}
		last := f.Calls()[len(f.Calls())-1]
		if len(last.Tools) != 1 || last.Tools[0] != "get_weather" {
			t.Fatalf("tools seen by the fake: %v", last.Tools)
		}
	}},
	{"structured output", func(t *testing.T, pc providerCase, f *aifake.Server) {
		f.SetRespond(func(c *aifake.Call) aifake.Reply { return aifake.Reply{Text: `{"sentiment":"negative"}`} })
		schema := map[string]any{"type": "object", "properties": map[string]any{"sentiment": map[string]any{"type": "string"}}}
		resp, err := pc.make(f, "sk-test").Chat(context.Background(), &ai.ChatRequest{Model: pc.model,
			Messages: []ai.Message{{Role: "user", Content: "I hate it"}}, Schema: &ai.Schema{Name: "analysis", Schema: schema}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Text != `{"sentiment":"negative"}` {
			t.Fatalf("text = %q", resp.Text)
		}
		c := f.Calls()[0]
		if pc.name == ai.OpenAICompatible {
			if !c.JSONMode || !strings.Contains(c.System, `"sentiment"`) {
				t.Fatalf("compatible dialect: want JSON mode plus the schema in the instructions, got %+v", c)
			}
		} else if c.Schema == nil {
			t.Fatal("the provider's native structured output was not used")
		}
	}},
	{"images", func(t *testing.T, pc providerCase, f *aifake.Server) {
		f.SetRespond(func(c *aifake.Call) aifake.Reply { return aifake.Reply{Text: "a cat"} })
		_, err := pc.make(f, "sk-test").Chat(context.Background(), &ai.ChatRequest{Model: pc.model, Messages: []ai.Message{{Role: "user",
			Content: "What is this?", Images: []ai.Image{{URL: "https://example.com/cat.png", MediaType: "image/png"}, {Data: "aGk=", MediaType: "image/png"}}}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := f.Calls()[0].Messages[0].Images; n != 2 {
			t.Fatalf("the fake saw %d images", n)
		}
	}},
	{"errors", func(t *testing.T, pc providerCase, f *aifake.Server) {
		status := 0
		f.SetRespond(func(c *aifake.Call) aifake.Reply { return aifake.Reply{Status: status, RetryAfter: 7} })
		p := pc.make(f, "sk-test")
		call := func() error {
			_, err := p.Chat(context.Background(), &ai.ChatRequest{Model: pc.model, Messages: []ai.Message{{Role: "user", Content: "x"}}}, nil)
			return err
		}
		for _, tc := range []struct {
			status    int
			retryable bool
		}{{400, false}, {429, true}, {500, true}, {503, true}} {
			status = tc.status
			err := call()
			var pe *ai.ProviderError
			if !errors.As(err, &pe) || pe.Status != tc.status || pe.Message == "" {
				t.Fatalf("status %d: err = %v", tc.status, err)
			}
			if ai.Retryable(err) != tc.retryable {
				t.Fatalf("status %d: retryable = %v", tc.status, !tc.retryable)
			}
			if tc.status == 429 && pe.RetryAfter != 7*time.Second {
				t.Fatalf("429: Retry-After = %s", pe.RetryAfter)
			}
		}
		bad := pc.make(f, "sk-wrong")
		_, err := bad.Chat(context.Background(), &ai.ChatRequest{Model: pc.model, Messages: []ai.Message{{Role: "user", Content: "x"}}}, nil)
		var pe *ai.ProviderError
		if !errors.As(err, &pe) || (pe.Status != 401 && pe.Status != 400) || ai.Retryable(err) || strings.Contains(err.Error(), "sk-wrong") {
			t.Fatalf("wrong key: %v", err)
		}
	}},
	{"embeddings", func(t *testing.T, pc providerCase, f *aifake.Server) {
		p := pc.make(f, "sk-test")
		for _, in := range [][]string{{"one"}, {"one", "two", "three"}} {
			resp, err := p.Embed(context.Background(), &ai.EmbedRequest{Model: "embed-model", Input: in})
			if !pc.embed {
				if !errors.Is(err, ai.ErrUnsupported) {
					t.Fatalf("want ErrUnsupported, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Vectors) != len(in) || len(resp.Vectors[0]) != 8 {
				t.Fatalf("vectors = %v", resp.Vectors)
			}
		}
	}},
}

// TestAnthropicOverloaded checks the 529 overloaded_error.
func TestAnthropicOverloaded(t *testing.T) {
	t.Parallel()
	f := aifake.New("k", func(*aifake.Call) aifake.Reply { return aifake.Reply{Status: 529} })
	defer f.Close()
	_, err := ai.NewAnthropic(ai.Endpoint{BaseURL: f.AnthropicURL(), APIKey: "k"}).Chat(context.Background(),
		&ai.ChatRequest{Model: "claude-haiku-4-5", Messages: []ai.Message{{Role: "user", Content: "x"}}}, nil)
	var pe *ai.ProviderError
	if !errors.As(err, &pe) || pe.Status != 529 || pe.Type != "overloaded_error" || !ai.Retryable(err) {
		t.Fatalf("err = %v", err)
	}
}
