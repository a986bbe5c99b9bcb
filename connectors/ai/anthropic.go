package ai

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// Anthropic API constants.
const (
	DefaultAnthropicURL = "https://api.anthropic.com"
	anthropicVersion    = "2023-06-01"
	// defaultAnthropicMaxTokens is sent when the step sets none: the
	// Messages API requires max_tokens.
	defaultAnthropicMaxTokens = 4096
	// answerTool is the tool Anthropic is made to call for structured output.
	answerTool = "structured_answer"
)

type anthropic struct{ ep Endpoint }

var _ Provider = (*anthropic)(nil)

// NewAnthropic returns the Anthropic Messages API provider.
func NewAnthropic(ep Endpoint) Provider {
	if ep.BaseURL == "" {
		ep.BaseURL = DefaultAnthropicURL
	}
	ep.BaseURL = strings.TrimSuffix(strings.TrimRight(ep.BaseURL, "/"), "/v1")
	return &anthropic{ep: ep}
}

func (p *anthropic) Name() string { return Anthropic }

type antBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    map[string]any  `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   string          `json:"content,omitempty"`
}

type antMessage struct {
	Role    string     `json:"role"`
	Content []antBlock `json:"content"`
}

type antUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
}

// neutral counts every input token (Anthropic reports cache reads and
// writes apart from input_tokens); CachedTokens are the cache reads.
func (u antUsage) neutral() Usage {
	return Usage{InputTokens: u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens,
		OutputTokens: u.OutputTokens, CachedTokens: u.CacheReadInputTokens}
}

type antResponse struct {
	ID         string     `json:"id"`
	Model      string     `json:"model"`
	Content    []antBlock `json:"content"`
	StopReason string     `json:"stop_reason"`
	Usage      antUsage   `json:"usage"`
}

func (p *anthropic) body(req *ChatRequest, stream bool) map[string]any {
	var msgs []antMessage
	add := func(role string, blocks ...antBlock) {
		if n := len(msgs); n > 0 && msgs[n-1].Role == role {
			msgs[n-1].Content = append(msgs[n-1].Content, blocks...)
			return
		}
		msgs = append(msgs, antMessage{Role: role, Content: blocks})
	}
	system := req.System
	for _, m := range req.Messages {
		switch m.Role {
		case "system":
			system = joinNonEmpty(system, m.Content)
		case "tool":
			add("user", antBlock{Type: "tool_result", ToolUseID: m.ToolCallID, Content: m.Content})
		case "assistant":
			var blocks []antBlock
			if m.Content != "" {
				blocks = append(blocks, antBlock{Type: "text", Text: m.Content})
			}
			for _, tc := range m.ToolCalls {
				blocks = append(blocks, antBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: tc.Arguments})
			}
			add("assistant", blocks...)
		default:
			var blocks []antBlock
			for _, img := range m.Images {
				if img.URL != "" {
					blocks = append(blocks, antBlock{Type: "image", Source: map[string]any{"type": "url", "url": img.URL}})
				} else {
					blocks = append(blocks, antBlock{Type: "image", Source: map[string]any{"type": "base64", "media_type": img.MediaType, "data": img.Data}})
				}
			}
			blocks = append(blocks, antBlock{Type: "text", Text: m.Content})
			add("user", blocks...)
		}
	}
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = defaultAnthropicMaxTokens
	}
	b := map[string]any{"model": req.Model, "max_tokens": maxTokens, "messages": msgs}
	var tools []map[string]any
	for _, t := range req.Tools {
		tools = append(tools, map[string]any{"name": t.Name, "description": t.Description, "input_schema": toolParams(t.Parameters)})
	}
	if req.Schema != nil {
		if len(tools) == 0 {
			// Native structured output: a forced call of a tool whose input
			// schema is the answer's schema.
			tools = append(tools, map[string]any{"name": answerTool, "description": "Give the answer.", "input_schema": req.Schema.Schema})
			b["tool_choice"] = map[string]any{"type": "tool", "name": answerTool}
		} else {
			system = joinNonEmpty(system, schemaInstructions(req.Schema))
		}
	}
	if len(tools) > 0 {
		b["tools"] = tools
	}
	if system != "" {
		b["system"] = system
	}
	if req.Temperature != nil {
		b["temperature"] = *req.Temperature
	}
	if len(req.Stop) > 0 {
		b["stop_sequences"] = req.Stop
	}
	if stream {
		b["stream"] = true
	}
	return b
}

func (p *anthropic) header() http.Header {
	h := http.Header{}
	h.Set("anthropic-version", anthropicVersion)
	if p.ep.APIKey != "" {
		h.Set("x-api-key", p.ep.APIKey)
	}
	return h
}

func (p *anthropic) Chat(ctx context.Context, req *ChatRequest, onDelta func(string)) (*ChatResponse, error) {
	resp, err := post(ctx, p.ep, Anthropic, p.ep.BaseURL+"/v1/messages", p.header(), p.body(req, onDelta != nil), parseAnthropicError)
	if err != nil {
		return nil, err
	}
	if onDelta == nil {
		var out antResponse
		if err := decode(Anthropic, resp, &out); err != nil {
			return nil, err
		}
		return fromAnthropic(&out, req.Schema != nil && len(req.Tools) == 0), nil
	}
	defer resp.Body.Close()
	forced := req.Schema != nil && len(req.Tools) == 0
	var msg antResponse
	partial := map[int]*strings.Builder{}
	err = readSSE(ctx, resp.Body, func(ev sseEvent) (bool, error) {
		var e struct {
			Type         string          `json:"type"`
			Index        int             `json:"index"`
			Message      *antResponse    `json:"message"`
			ContentBlock *antBlock       `json:"content_block"`
			Delta        json.RawMessage `json:"delta"`
			Usage        *antUsage       `json:"usage"`
			Error        *struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			return false, &ProviderError{Provider: Anthropic, Status: resp.StatusCode, Message: "unreadable stream event: " + err.Error()}
		}
		switch e.Type {
		case "message_start":
			if e.Message != nil {
				msg = *e.Message
			}
		case "content_block_start":
			for len(msg.Content) <= e.Index {
				msg.Content = append(msg.Content, antBlock{})
			}
			if e.ContentBlock != nil {
				msg.Content[e.Index] = *e.ContentBlock
				msg.Content[e.Index].Input = nil
			}
			partial[e.Index] = &strings.Builder{}
		case "content_block_delta":
			var d struct {
				Type        string `json:"type"`
				Text        string `json:"text"`
				PartialJSON string `json:"partial_json"`
			}
			_ = json.Unmarshal(e.Delta, &d)
			if e.Index >= len(msg.Content) {
				break
			}
			switch d.Type {
			case "text_delta":
				msg.Content[e.Index].Text += d.Text
				onDelta(d.Text)
			case "input_json_delta":
				partial[e.Index].WriteString(d.PartialJSON)
				if forced && msg.Content[e.Index].Name == answerTool {
					onDelta(d.PartialJSON) // the structured answer is the text
				}
			}
		case "content_block_stop":
			if e.Index < len(msg.Content) && msg.Content[e.Index].Type == "tool_use" {
				msg.Content[e.Index].Input = rawArgs(partial[e.Index].String())
			}
		case "message_delta":
			var d struct {
				StopReason string `json:"stop_reason"`
			}
			_ = json.Unmarshal(e.Delta, &d)
			if d.StopReason != "" {
				msg.StopReason = d.StopReason
			}
			if e.Usage != nil {
				msg.Usage.OutputTokens = e.Usage.OutputTokens
			}
		case "message_stop":
			return false, nil
		case "error":
			pe := &ProviderError{Provider: Anthropic, Status: http.StatusOK}
			if e.Error != nil {
				pe.Type, pe.Message = e.Error.Type, e.Error.Message
				if pe.Type == "overloaded_error" {
					pe.Status = 529
				}
			}
			return false, pe
		}
		return true, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return fromAnthropic(&msg, forced), nil
}

func fromAnthropic(r *antResponse, forcedAnswer bool) *ChatResponse {
	out := &ChatResponse{Model: r.Model, Usage: r.Usage.neutral()}
	var text []string
	for _, b := range r.Content {
		switch b.Type {
		case "text":
			text = append(text, b.Text)
		case "tool_use":
			if forcedAnswer && b.Name == answerTool {
				text = append(text, string(b.Input))
				continue
			}
			out.ToolCalls = append(out.ToolCalls, ToolCall{ID: b.ID, Name: b.Name, Arguments: b.Input})
		}
	}
	out.Text = strings.Join(text, "")
	switch r.StopReason {
	case "end_turn", "stop_sequence":
		out.FinishReason = "stop"
	case "max_tokens":
		out.FinishReason = "length"
	case "tool_use":
		out.FinishReason = "tool_calls"
		if len(out.ToolCalls) == 0 {
			out.FinishReason = "stop" // the forced answer tool
		}
	default:
		out.FinishReason = r.StopReason
	}
	return out
}

func parseAnthropicError(raw []byte) (string, string) {
	var e struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "", ""
	}
	return e.Error.Type, e.Error.Message
}

func (p *anthropic) Embed(context.Context, *EmbedRequest) (*EmbedResponse, error) {
	return nil, ErrUnsupported
}
