package gateway_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/gateway"
	"github.com/weftworks/weft/internal/fakes/aifake"
	"github.com/weftworks/weft/step"
)

const token = "weft-test-token"

type bundle struct {
	fake   *aifake.Server
	usage  *ai.MemoryUsage
	client openai.Client
	url    string
}

func setup(t *testing.T, routes []gateway.Route) *bundle {
	t.Helper()
	fake := aifake.New("sk-provider", func(c *aifake.Call) aifake.Reply {
		return aifake.Reply{Text: c.Provider + " says hello to " + c.LastUser(), InputTokens: 11, OutputTokens: 7}
	})
	t.Cleanup(fake.Close)
	usage := ai.NewMemoryUsage()
	svc, err := ai.NewService(ai.Config{Usage: usage})
	if err != nil {
		t.Fatal(err)
	}
	h, err := gateway.New(gateway.Config{Service: svc, Tokens: api.StaticToken(sha256.Sum256([]byte(token))),
		Connections: step.CredentialsOnly(fake.CredentialsFor("sk-provider")), Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey(token), option.WithMaxRetries(0))
	return &bundle{fake: fake, usage: usage, client: client, url: srv.URL}
}

// TestOfficialClient drives the gateway with the official openai-go client:
// a plain and a streamed chat completion routed to Anthropic and Gemini,
// caching, embeddings and the model list.
func TestOfficialClient(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()

	resp, err := b.client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "claude-haiku-4-5",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be kind."), openai.UserMessage("Ada")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "anthropic says hello to Ada" {
		t.Fatalf("content = %q", got)
	}
	if resp.Usage.PromptTokens != 11 || resp.Usage.CompletionTokens != 7 || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("usage %+v finish %q", resp.Usage, resp.Choices[0].FinishReason)
	}
	c := b.fake.Calls()[0]
	if c.Provider != aifake.Anthropic || c.System != "Be kind." || c.Header.Get("x-api-key") != "sk-provider" {
		t.Fatalf("the Anthropic fake received %+v", c)
	}

	stream := b.client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "gemini-2.5-flash",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Grace")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.Content; got != "gemini says hello to Grace" || chunks < 4 {
		t.Fatalf("streamed %q in %d chunks", got, chunks)
	}
	if acc.Usage.PromptTokens != 11 || acc.Usage.CompletionTokens != 7 {
		t.Fatalf("streamed usage = %+v", acc.Usage)
	}
	if !b.fake.Calls()[1].Stream || b.fake.Calls()[1].Provider != aifake.Gemini {
		t.Fatalf("gemini call = %+v", b.fake.Calls()[1])
	}

	// temperature 0 is cached: the second call never reaches the fake.
	params := openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Temperature: openai.Float(0),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Alan")}}
	for range 2 {
		r, err := b.client.Chat.Completions.New(ctx, params)
		if err != nil || r.Choices[0].Message.Content != "openai says hello to Alan" {
			t.Fatalf("%v %+v", err, r)
		}
	}
	if n := b.fake.Count(func(c *aifake.Call) bool { return c.Provider == aifake.OpenAI }); n != 1 {
		t.Fatalf("openai calls = %d, want 1 (cache)", n)
	}

	emb, err := b.client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "text-embedding-3-small",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
	if err != nil || len(emb.Data) != 2 || len(emb.Data[1].Embedding) != 8 {
		t.Fatalf("embeddings: %v %+v", err, emb)
	}

	models, err := b.client.Models.List(ctx)
	if err != nil || len(models.Data) == 0 {
		t.Fatalf("models: %v", err)
	}

	// Usage records: the three chat calls and the embedding call that
	// reached a provider, with the tokens the fake reported.
	tot, _ := b.usage.SumUsage(ctx, weft.UsageQuery{})
	fu := b.fake.TotalUsage()
	if tot[0].Calls != 4 || tot[0].InputTokens != fu.InputTokens || tot[0].OutputTokens != fu.OutputTokens {
		t.Fatalf("recorded %+v, fake reported %+v", tot, fu)
	}
}

func TestAuthAndErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, []gateway.Route{{Prefix: "", Provider: ai.OpenAI, Credential: "openai",
		Fallback: []ai.Target{{Provider: ai.Anthropic, Model: "claude-haiku-4-5", Credential: "anthropic"}}}})
	bad := openai.NewClient(option.WithBaseURL(b.url+"/v1/"), option.WithAPIKey("wrong"), option.WithMaxRetries(0))
	_, err := bad.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	var apiErr *openai.Error
	if !asAPIError(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("wrong token: %v", err)
	}
	// OpenAI answers 500: the route's fallback (Anthropic) answers instead.
	b.fake.SetRespond(func(c *aifake.Call) aifake.Reply {
		if c.Provider == aifake.OpenAI {
			return aifake.Reply{Status: 500}
		}
		return aifake.Reply{Text: "fallback answer"}
	})
	r, err := b.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	if err != nil || r.Choices[0].Message.Content != "fallback answer" {
		t.Fatalf("fallback: %v %+v", err, r)
	}
	// Every model failing with 400: the client sees a 400 in OpenAI's error format.
	b.fake.SetRespond(func(*aifake.Call) aifake.Reply { return aifake.Reply{Status: 400} })
	_, err = b.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	if !asAPIError(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "Invalid parameter") {
		t.Fatalf("400: %v", err)
	}
}

func asAPIError(err error, target **openai.Error) bool {
	e, ok := err.(*openai.Error)
	if ok {
		*target = e
	}
	return ok
}
