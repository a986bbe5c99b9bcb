package aifake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

func anthropicError(typ, msg string) map[string]any {
	return map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}}
}

func (s *Server) anthropicMessages(w http.ResponseWriter, r *http.Request, body map[string]any) {
	if s.Key != "" && r.Header.Get("x-api-key") != s.Key {
		writeJSON(w, http.StatusUnauthorized, anthropicError("authentication_error", "invalid x-api-key"))
		return
	}
	if r.Header.Get("anthropic-version") == "" {
		writeJSON(w, 400, anthropicError("invalid_request_error", "anthropic-version: header is required"))
		return
	}
	if _, ok := body["max_tokens"].(float64); !ok {
		writeJSON(w, 400, anthropicError("invalid_request_error", "max_tokens: Field required"))
		return
	}
	c := Call{Provider: Anthropic, Kind: "chat", Model: str(body["model"]), System: str(body["system"]), Header: r.Header.Clone(), Body: body}
	c.Stream, _ = body["stream"].(bool)
	if t, ok := body["temperature"].(float64); ok {
		c.Temperature = &t
	}
	for _, m := range list(body["messages"]) {
		mm := obj(m)
		role := str(mm["role"])
		if role != "user" && role != "assistant" {
			writeJSON(w, 400, anthropicError("invalid_request_error", "messages: roles must be user or assistant"))
			return
		}
		if s, ok := mm["content"].(string); ok {
			c.Messages = append(c.Messages, Msg{Role: role, Text: s})
			continue
		}
		msg := Msg{Role: role}
		for _, b := range list(mm["content"]) {
			bb := obj(b)
			switch str(bb["type"]) {
			case "text":
				msg.Text += str(bb["text"])
			case "image":
				msg.Images++
			case "tool_use":
				msg.ToolCalls = append(msg.ToolCalls, str(bb["name"]))
			case "tool_result":
				content := str(bb["content"])
				c.Messages = append(c.Messages, Msg{Role: "tool", ToolCallID: str(bb["tool_use_id"]), Text: content})
			}
		}
		if msg.Text != "" || len(msg.ToolCalls) > 0 || msg.Images > 0 {
			c.Messages = append(c.Messages, msg)
		}
	}
	forced := ""
	if tc := obj(body["tool_choice"]); str(tc["type"]) == "tool" {
		forced = str(tc["name"])
	}
	for _, t := range list(body["tools"]) {
		name := str(obj(t)["name"])
		if name == forced {
			c.Schema = obj(obj(t)["input_schema"])
			continue
		}
		c.Tools = append(c.Tools, name)
	}
	rep := s.record(c)
	if !wait(r, rep) {
		return
	}
	if rep.Status != 0 && rep.Status != http.StatusOK {
		switch rep.Status {
		case 529:
			writeJSON(w, 529, anthropicError("overloaded_error", "Overloaded"))
		case http.StatusTooManyRequests:
			w.Header().Set("retry-after", strconv.Itoa(rep.RetryAfter))
			writeJSON(w, 429, anthropicError("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"))
		case http.StatusBadRequest:
			writeJSON(w, 400, anthropicError("invalid_request_error", "messages: text content blocks must be non-empty"))
		case http.StatusUnauthorized:
			writeJSON(w, 401, anthropicError("authentication_error", "invalid x-api-key"))
		default:
			writeJSON(w, rep.Status, anthropicError("api_error", "Internal server error"))
		}
		return
	}
	in, out, cached := rep.usage(&c)
	s.recordUsage(Usage{Provider: Anthropic, Model: c.Model, InputTokens: in, OutputTokens: out, CachedTokens: cached})
	// Anthropic reports cache reads apart from input_tokens.
	usage := map[string]any{"input_tokens": in - cached, "output_tokens": out, "cache_read_input_tokens": cached, "cache_creation_input_tokens": 0}
	id := newID("msg_")
	var blocks []map[string]any
	stop := "end_turn"
	text := rep.Text
	if forced != "" {
		var args map[string]any
		if json.Unmarshal([]byte(text), &args) != nil {
			args = map[string]any{"_text": text}
		}
		blocks = append(blocks, map[string]any{"type": "tool_use", "id": newID("toolu_"), "name": forced, "input": args})
		stop = "tool_use"
		text = ""
	} else if text != "" {
		blocks = append(blocks, map[string]any{"type": "text", "text": text})
	}
	for _, tc := range rep.ToolCalls {
		args := tc.Args
		if args == nil {
			args = map[string]any{}
		}
		blocks = append(blocks, map[string]any{"type": "tool_use", "id": newID("toolu_"), "name": tc.Name, "input": args})
		stop = "tool_use"
	}
	if !c.Stream {
		writeJSON(w, 200, map[string]any{"id": id, "type": "message", "role": "assistant", "model": c.Model,
			"content": blocks, "stop_reason": stop, "stop_sequence": nil, "usage": usage})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	fl, _ := w.(http.Flusher)
	event := func(name string, data any) {
		b, _ := json.Marshal(data)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
		if fl != nil {
			fl.Flush()
		}
	}
	event("message_start", map[string]any{"type": "message_start", "message": map[string]any{"id": id, "type": "message",
		"role": "assistant", "model": c.Model, "content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": in - cached, "output_tokens": 1, "cache_read_input_tokens": cached, "cache_creation_input_tokens": 0}}})
	event("ping", map[string]any{"type": "ping"})
	for i, b := range blocks {
		switch b["type"] {
		case "text":
			event("content_block_start", map[string]any{"type": "content_block_start", "index": i, "content_block": map[string]any{"type": "text", "text": ""}})
			for _, piece := range split(str(b["text"])) {
				event("content_block_delta", map[string]any{"type": "content_block_delta", "index": i, "delta": map[string]any{"type": "text_delta", "text": piece}})
			}
		case "tool_use":
			event("content_block_start", map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "tool_use", "id": b["id"], "name": b["name"], "input": map[string]any{}}})
			args, _ := json.Marshal(b["input"])
			half := len(args) / 2
			for _, part := range []string{string(args[:half]), string(args[half:])} {
				event("content_block_delta", map[string]any{"type": "content_block_delta", "index": i, "delta": map[string]any{"type": "input_json_delta", "partial_json": part}})
			}
		}
		event("content_block_stop", map[string]any{"type": "content_block_stop", "index": i})
	}
	event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": out}})
	event("message_stop", map[string]any{"type": "message_stop"})
}
