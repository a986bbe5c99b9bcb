package ai

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// DefaultOpenAIURL is OpenAI's API base.
const DefaultOpenAIURL = "https://api.openai.com/v1"

// openAI speaks OpenAI's chat completions and embeddings API, which most
// other servers (Azure OpenAI, Groq, Mistral, OpenRouter, Ollama, vLLM, LM
// Studio) copy. compatible selects the conservative dialect for those: the
// old max_tokens field and JSON mode plus instructions instead of
// json_schema, which not all of them implement.
type openAI struct {
	name       string
	ep         Endpoint
	compatible bool
}

var _ Provider = (*openAI)(nil)

// NewOpenAI returns the OpenAI provider; compatible selects the dialect of
// OpenAI-compatible servers (see openai-compatible in docs/ai.md).
func NewOpenAI(ep Endpoint, compatible bool) Provider {
	if ep.BaseURL == "" {
		ep.BaseURL = DefaultOpenAIURL
	}
	ep.BaseURL = strings.TrimRight(ep.BaseURL, "/")
	name := OpenAI
	if compatible {
		name = OpenAICompatible
	}
	return &openAI{name: name, ep: ep, compatible: compatible}
}

func (p *openAI) Name() string { return p.name }

func (p *openAI) header() http.Header {
	h := http.Header{}
	if p.ep.APIKey != "" {
		h.Set("Authorization", "Bearer "+p.ep.APIKey)
	}
	return h
}

// OpenAI wire types, shared with the gateway, which serves the same format.

// OAIMessage is a chat message in OpenAI's format. Content is a string or a
// list of parts.
type OAIMessage struct {
	Role       string        `json:"role"`
	Content    any           `json:"content"`
	Name       string        `json:"name,omitempty"`
	ToolCalls  []OAIToolCall `json:"tool_calls,omitempty"`
	ToolCallID string        `json:"tool_call_id,omitempty"`
}

// OAIToolCall is a function call in OpenAI's format.
type OAIToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// OAIUsage is OpenAI's usage block.
type OAIUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details,omitempty"`
}

func (u *OAIUsage) neutral() Usage {
	if u == nil {
		return Usage{}
	}
	out := Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	if u.PromptTokensDetails != nil {
		out.CachedTokens = u.PromptTokensDetails.CachedTokens
	}
	return out
}

// OAIChatResponse is a chat.completion object (or, with Delta set in the
// choices, a chat.completion.chunk).
type OAIChatResponse struct {
	ID      string      `json:"id"`
	Object  string      `json:"object"`
	Created int64       `json:"created"`
	Model   string      `json:"model"`
	Choices []OAIChoice `json:"choices"`
	Usage   *OAIUsage   `json:"usage,omitempty"`
}

// OAIChoice is one choice of an answer or chunk.
type OAIChoice struct {
	Index        int         `json:"index"`
	Message      *OAIMessage `json:"message,omitempty"`
	Delta        *OAIMessage `json:"delta,omitempty"`
	FinishReason *string     `json:"finish_reason"`
}

func (p *openAI) body(req *ChatRequest, stream bool) map[string]any {
	msgs := make([]OAIMessage, 0, len(req.Messages)+1)
	system := req.System
	if req.Schema != nil && p.compatible {
		system = joinNonEmpty(system, schemaInstructions(req.Schema))
	}
	if system != "" {
		msgs = append(msgs, OAIMessage{Role: "system", Content: system})
	}
	for _, m := range req.Messages {
		msgs = append(msgs, toOAIMessage(m))
	}
	b := map[string]any{"model": req.Model, "messages": msgs}
	if req.Temperature != nil {
		b["temperature"] = *req.Temperature
	}
	if req.MaxTokens > 0 {
		if p.compatible {
			b["max_tokens"] = req.MaxTokens
		} else {
			b["max_completion_tokens"] = req.MaxTokens
		}
	}
	if len(req.Stop) > 0 {
		b["stop"] = req.Stop
	}
	if req.Seed != nil {
		b["seed"] = *req.Seed
	}
	if len(req.Tools) > 0 {
		tools := make([]map[string]any, len(req.Tools))
		for i, t := range req.Tools {
			tools[i] = map[string]any{"type": "function", "function": map[string]any{
				"name": t.Name, "description": t.Description, "parameters": toolParams(t.Parameters)}}
		}
		b["tools"] = tools
	}
	if req.Schema != nil {
		if p.compatible {
			b["response_format"] = map[string]any{"type": "json_object"}
		} else {
			b["response_format"] = map[string]any{"type": "json_schema",
				"json_schema": map[string]any{"name": req.Schema.Name, "schema": req.Schema.Schema}}
		}
	}
	if stream {
		b["stream"] = true
		b["stream_options"] = map[string]any{"include_usage": true}
	}
	return b
}

func toOAIMessage(m Message) OAIMessage {
	out := OAIMessage{Role: m.Role, Content: m.Content, ToolCallID: m.ToolCallID}
	if len(m.Images) > 0 {
		parts := []any{}
		if m.Content != "" {
			parts = append(parts, map[string]any{"type": "text", "text": m.Content})
		}
		for _, img := range m.Images {
			url := img.URL
			if url == "" {
				url = "data:" + img.MediaType + ";base64," + img.Data
			}
			parts = append(parts, map[string]any{"type": "image_url", "image_url": map[string]any{"url": url}})
		}
		out.Content = parts
	}
	for _, tc := range m.ToolCalls {
		c := OAIToolCall{ID: tc.ID, Type: "function"}
		c.Function.Name, c.Function.Arguments = tc.Name, string(tc.Arguments)
		out.ToolCalls = append(out.ToolCalls, c)
	}
	if m.Role == "assistant" && m.Content == "" && len(m.ToolCalls) > 0 {
		out.Content = nil
	}
	return out
}

func toolParams(p map[string]any) map[string]any {
	if p == nil {
		return map[string]any{"type": "object", "properties": map[string]any{}}
	}
	return p
}

func (p *openAI) Chat(ctx context.Context, req *ChatRequest, onDelta func(string)) (*ChatResponse, error) {
	resp, err := post(ctx, p.ep, p.name, p.ep.BaseURL+"/chat/completions", p.header(), p.body(req, onDelta != nil), parseOpenAIError)
	if err != nil {
		return nil, err
	}
	if onDelta == nil {
		var out OAIChatResponse
		if err := decode(p.name, resp, &out); err != nil {
			return nil, err
		}
		return fromOAIResponse(&out), nil
	}
	defer resp.Body.Close()
	acc := newOAIAccumulator()
	err = readSSE(ctx, resp.Body, func(ev sseEvent) (bool, error) {
		if string(ev.Data) == "[DONE]" {
			return false, nil
		}
		var chunk OAIChatResponse
		if err := json.Unmarshal(ev.Data, &chunk); err != nil {
			return false, &ProviderError{Provider: p.name, Status: resp.StatusCode, Message: "unreadable stream chunk: " + err.Error()}
		}
		if d := acc.add(&chunk); d != "" {
			onDelta(d)
		}
		return true, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return acc.result(), nil
}

// fromOAIResponse converts a chat.completion to the neutral answer.
func fromOAIResponse(r *OAIChatResponse) *ChatResponse {
	out := &ChatResponse{Model: r.Model, Usage: r.Usage.neutral()}
	if len(r.Choices) == 0 {
		return out
	}
	c := r.Choices[0]
	if c.FinishReason != nil {
		out.FinishReason = *c.FinishReason
	}
	if c.Message != nil {
		out.Text, _ = c.Message.Content.(string)
		for _, tc := range c.Message.ToolCalls {
			out.ToolCalls = append(out.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: rawArgs(tc.Function.Arguments)})
		}
	}
	return out
}

// rawArgs keeps tool arguments as JSON, tolerating a model that sent none.
func rawArgs(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" || !json.Valid([]byte(s)) {
		b, _ := json.Marshal(map[string]any{"_raw": s})
		if s == "" {
			b = []byte("{}")
		}
		return b
	}
	return json.RawMessage(s)
}

// oaiAccumulator joins streamed chunks into one answer.
type oaiAccumulator struct {
	text   strings.Builder
	calls  map[int]*ToolCall
	args   map[int]*strings.Builder
	order  []int
	finish string
	usage  Usage
	model  string
}

func newOAIAccumulator() *oaiAccumulator {
	return &oaiAccumulator{calls: map[int]*ToolCall{}, args: map[int]*strings.Builder{}}
}

func (a *oaiAccumulator) add(c *OAIChatResponse) string {
	if c.Model != "" {
		a.model = c.Model
	}
	if c.Usage != nil {
		a.usage = c.Usage.neutral()
	}
	delta := ""
	for _, ch := range c.Choices {
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			a.finish = *ch.FinishReason
		}
		if ch.Delta == nil {
			continue
		}
		if s, ok := ch.Delta.Content.(string); ok {
			a.text.WriteString(s)
			delta += s
		}
		for i, tc := range ch.Delta.ToolCalls {
			idx := i
			if tc.Index != nil {
				idx = *tc.Index
			}
			call := a.calls[idx]
			if call == nil {
				call = &ToolCall{}
				a.calls[idx] = call
				a.args[idx] = &strings.Builder{}
				a.order = append(a.order, idx)
			}
			if tc.ID != "" {
				call.ID = tc.ID
			}
			if tc.Function.Name != "" {
				call.Name = tc.Function.Name
			}
			a.args[idx].WriteString(tc.Function.Arguments)
		}
	}
	return delta
}

func (a *oaiAccumulator) result() *ChatResponse {
	out := &ChatResponse{Text: a.text.String(), FinishReason: a.finish, Usage: a.usage, Model: a.model}
	for _, idx := range a.order {
		c := a.calls[idx]
		c.Arguments = rawArgs(a.args[idx].String())
		out.ToolCalls = append(out.ToolCalls, *c)
	}
	return out
}

func parseOpenAIError(raw []byte) (string, string) {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    any    `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "", ""
	}
	return e.Error.Type, e.Error.Message
}

func (p *openAI) Embed(ctx context.Context, req *EmbedRequest) (*EmbedResponse, error) {
	b := map[string]any{"model": req.Model, "input": req.Input}
	if req.Dimensions > 0 {
		b["dimensions"] = req.Dimensions
	}
	resp, err := post(ctx, p.ep, p.name, p.ep.BaseURL+"/embeddings", p.header(), b, parseOpenAIError)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
		Model string    `json:"model"`
		Usage *OAIUsage `json:"usage"`
	}
	if err := decode(p.name, resp, &out); err != nil {
		return nil, err
	}
	vecs := make([][]float64, len(req.Input))
	for _, d := range out.Data {
		if d.Index >= 0 && d.Index < len(vecs) {
			vecs[d.Index] = d.Embedding
		}
	}
	return &EmbedResponse{Vectors: vecs, Usage: out.Usage.neutral(), Model: out.Model}, nil
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

// schemaInstructions asks for JSON matching a schema, for providers without
// native structured output.
func schemaInstructions(s *Schema) string {
	b, _ := json.Marshal(s.Schema)
	return "Answer with one JSON object only, no prose and no code fences, matching this JSON Schema:\n" + string(b)
}
