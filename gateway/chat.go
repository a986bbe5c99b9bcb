package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/weftworks/weft/connectors/ai"
)

// chatBody is the part of an OpenAI chat completion request the gateway
// understands; other fields are ignored.
type chatBody struct {
	Model               string          `json:"model"`
	Messages            []ai.OAIMessage `json:"messages"`
	Temperature         *float64        `json:"temperature"`
	MaxTokens           int             `json:"max_tokens"`
	MaxCompletionTokens int             `json:"max_completion_tokens"`
	Stop                json.RawMessage `json:"stop"`
	Seed                *int64          `json:"seed"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Tools []struct {
		Type     string `json:"type"`
		Function struct {
			Name        string         `json:"name"`
			Description string         `json:"description"`
			Parameters  map[string]any `json:"parameters"`
		} `json:"function"`
	} `json:"tools"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string         `json:"name"`
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// neutral translates the request.
func (b *chatBody) neutral() (ai.ChatRequest, error) {
	req := ai.ChatRequest{Model: b.Model, Temperature: b.Temperature, Seed: b.Seed, MaxTokens: b.MaxCompletionTokens}
	if req.MaxTokens == 0 {
		req.MaxTokens = b.MaxTokens
	}
	if len(b.Stop) > 0 {
		var one string
		if json.Unmarshal(b.Stop, &one) == nil {
			req.Stop = []string{one}
		} else if err := json.Unmarshal(b.Stop, &req.Stop); err != nil {
			return req, fmt.Errorf("stop must be a string or a list of strings")
		}
	}
	for _, t := range b.Tools {
		req.Tools = append(req.Tools, ai.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	if rf := b.ResponseFormat; rf != nil {
		switch rf.Type {
		case "json_schema":
			if rf.JSONSchema == nil || rf.JSONSchema.Schema == nil {
				return req, fmt.Errorf("response_format json_schema needs json_schema.schema")
			}
			req.Schema = &ai.Schema{Name: rf.JSONSchema.Name, Schema: rf.JSONSchema.Schema}
		case "json_object":
			req.Schema = &ai.Schema{Name: "answer", Schema: map[string]any{"type": "object"}}
		}
	}
	for i, m := range b.Messages {
		text, imgs, err := content(m.Content)
		if err != nil {
			return req, fmt.Errorf("messages[%d]: %v", i, err)
		}
		switch m.Role {
		case "system", "developer":
			req.System = strings.TrimSpace(req.System + "\n\n" + text)
		case "user":
			req.Messages = append(req.Messages, ai.Message{Role: "user", Content: text, Images: imgs})
		case "assistant":
			msg := ai.Message{Role: "assistant", Content: text}
			for _, tc := range m.ToolCalls {
				args := json.RawMessage(tc.Function.Arguments)
				if !json.Valid(args) {
					args = json.RawMessage("{}")
				}
				msg.ToolCalls = append(msg.ToolCalls, ai.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: args})
			}
			req.Messages = append(req.Messages, msg)
		case "tool":
			req.Messages = append(req.Messages, ai.Message{Role: "tool", ToolCallID: m.ToolCallID, Name: m.Name, Content: text})
		default:
			return req, fmt.Errorf("messages[%d]: unknown role %q", i, m.Role)
		}
	}
	if len(req.Messages) == 0 {
		return req, fmt.Errorf("messages needs at least one user message")
	}
	return req, nil
}

// content reads a message's content: a string or a list of parts.
func content(c any) (string, []ai.Image, error) {
	switch x := c.(type) {
	case nil:
		return "", nil, nil
	case string:
		return x, nil, nil
	case []any:
		var text strings.Builder
		var imgs []ai.Image
		for _, p := range x {
			pm, _ := p.(map[string]any)
			switch pm["type"] {
			case "text":
				s, _ := pm["text"].(string)
				text.WriteString(s)
			case "image_url":
				iu, _ := pm["image_url"].(map[string]any)
				url, _ := iu["url"].(string)
				if rest, ok := strings.CutPrefix(url, "data:"); ok {
					meta, data, _ := strings.Cut(rest, ",")
					imgs = append(imgs, ai.Image{Data: data, MediaType: strings.TrimSuffix(meta, ";base64")})
				} else {
					imgs = append(imgs, ai.Image{URL: url, MediaType: "image/png"})
				}
			}
		}
		return text.String(), imgs, nil
	}
	return "", nil, fmt.Errorf("content must be a string or a list of parts")
}

func (g *gateway) chat(w http.ResponseWriter, r *http.Request) {
	var body chatBody
	if !readJSON(w, r, &body) {
		return
	}
	if body.Model == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "missing_model", "you must provide a model parameter")
		return
	}
	req, err := body.neutral()
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error())
		return
	}
	ts, err := g.targets(body.Model)
	if err != nil {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", err.Error())
		return
	}
	cache := g.cfg.Cache == "on" || (g.cfg.Cache == "auto" && req.Temperature != nil && *req.Temperature == 0)
	id := fmt.Sprintf("chatcmpl-weft%d", time.Now().UnixNano())
	created := time.Now().Unix()
	if !body.Stream {
		o, err := g.cfg.Service.Chat(r.Context(), g.meta(r), ts, req, ai.CallOptions{Cache: cache})
		if err != nil {
			writeCallError(w, err)
			return
		}
		weftHeaders(w, o)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(completion(id, created, body.Model, o))
		return
	}
	// Streaming: the status is sent with the first delta, so an error
	// before it is still a proper error response.
	fl, _ := w.(http.Flusher)
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		send(w, fl, chunk(id, created, body.Model, map[string]any{"role": "assistant", "content": ""}, nil))
	}
	onDelta := func(d string) {
		start()
		send(w, fl, chunk(id, created, body.Model, map[string]any{"content": d}, nil))
	}
	o, err := g.cfg.Service.Chat(r.Context(), g.meta(r), ts, req, ai.CallOptions{Cache: cache, OnDelta: onDelta})
	if err != nil {
		if !started {
			writeCallError(w, err)
			return
		}
		// Mid-stream failure: OpenAI's clients read an error object in a data line.
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": err.Error(), "type": "api_error"}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		return
	}
	if !started {
		weftHeaders(w, o)
		start()
	}
	resp := o.Response
	for i, tc := range resp.ToolCalls {
		idx := i
		send(w, fl, chunk(id, created, body.Model, map[string]any{"tool_calls": []any{map[string]any{"index": idx, "id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": string(tc.Arguments)}}}}, nil))
	}
	finish := resp.FinishReason
	if finish == "" {
		finish = "stop"
	}
	send(w, fl, chunk(id, created, body.Model, map[string]any{}, &finish))
	if body.StreamOptions != nil && body.StreamOptions.IncludeUsage {
		u := usageOf(o)
		send(w, fl, map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": body.Model, "choices": []any{}, "usage": u})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

func weftHeaders(w http.ResponseWriter, o *ai.Outcome) {
	w.Header().Set("X-Weft-Provider", o.Target.Provider)
	w.Header().Set("X-Weft-Cache", map[bool]string{true: "hit", false: "miss"}[o.CacheHit])
	w.Header().Set("X-Weft-Cost-USD", fmt.Sprintf("%.8f", o.CostUSD))
}

func send(w http.ResponseWriter, fl http.Flusher, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "data: %s\n\n", b)
	if fl != nil {
		fl.Flush()
	}
}

func chunk(id string, created int64, model string, delta map[string]any, finish *string) map[string]any {
	return map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
}

func usageOf(o *ai.Outcome) map[string]any {
	u := o.Response.Usage
	if o.CacheHit {
		u = ai.Usage{}
	}
	return map[string]any{"prompt_tokens": u.InputTokens, "completion_tokens": u.OutputTokens, "total_tokens": u.InputTokens + u.OutputTokens,
		"prompt_tokens_details": map[string]any{"cached_tokens": u.CachedTokens}}
}

func completion(id string, created int64, model string, o *ai.Outcome) map[string]any {
	resp := o.Response
	msg := map[string]any{"role": "assistant", "content": resp.Text, "refusal": nil}
	if len(resp.ToolCalls) > 0 {
		var calls []any
		for _, tc := range resp.ToolCalls {
			calls = append(calls, map[string]any{"id": tc.ID, "type": "function", "function": map[string]any{"name": tc.Name, "arguments": string(tc.Arguments)}})
		}
		msg["tool_calls"] = calls
		if resp.Text == "" {
			msg["content"] = nil
		}
	}
	finish := resp.FinishReason
	if finish == "" {
		finish = "stop"
	}
	return map[string]any{"id": id, "object": "chat.completion", "created": created, "model": model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
		"usage":   usageOf(o)}
}

func (g *gateway) embeddings(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Model      string          `json:"model"`
		Input      json.RawMessage `json:"input"`
		Dimensions int             `json:"dimensions"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	var inputs []string
	var one string
	if json.Unmarshal(body.Input, &one) == nil {
		inputs = []string{one}
	} else if json.Unmarshal(body.Input, &inputs) != nil || len(inputs) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_input", "input must be a string or a non-empty list of strings")
		return
	}
	ts, err := g.targets(body.Model)
	if err != nil {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", err.Error())
		return
	}
	resp, o, err := g.cfg.Service.Embed(r.Context(), g.meta(r), ts, ai.EmbedRequest{Input: inputs, Dimensions: body.Dimensions})
	if err != nil {
		writeCallError(w, err)
		return
	}
	data := make([]any, len(resp.Vectors))
	for i, v := range resp.Vectors {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": v}
	}
	w.Header().Set("X-Weft-Provider", o.Target.Provider)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": body.Model,
		"usage": map[string]any{"prompt_tokens": resp.Usage.InputTokens, "total_tokens": resp.Usage.InputTokens}})
}
