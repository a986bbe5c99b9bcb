package aifake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

func openAIError(typ, msg string, code any) map[string]any {
	return map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": code}}
}

func (s *Server) openAIAuth(w http.ResponseWriter, r *http.Request) bool {
	if s.Key == "" || r.Header.Get("Authorization") == "Bearer "+s.Key {
		return true
	}
	writeJSON(w, http.StatusUnauthorized, openAIError("invalid_request_error",
		"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key"))
	return false
}

// openAIStatus writes the error OpenAI sends for a status.
func openAIStatus(w http.ResponseWriter, rep Reply) {
	switch rep.Status {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(rep.RetryAfter))
		writeJSON(w, rep.Status, openAIError("requests", "Rate limit reached for requests. Please try again later.", "rate_limit_exceeded"))
	case http.StatusBadRequest:
		writeJSON(w, rep.Status, openAIError("invalid_request_error", "Invalid parameter: messages.", nil))
	case http.StatusUnauthorized:
		writeJSON(w, rep.Status, openAIError("invalid_request_error", "Incorrect API key provided.", "invalid_api_key"))
	default:
		writeJSON(w, rep.Status, openAIError("server_error", "The server had an error while processing your request. Sorry about that!", nil))
	}
}

func (s *Server) openAIChat(w http.ResponseWriter, r *http.Request, body map[string]any) {
	if !s.openAIAuth(w, r) {
		return
	}
	c := Call{Provider: OpenAI, Kind: "chat", Model: str(body["model"]), Header: r.Header.Clone(), Body: body}
	c.Stream, _ = body["stream"].(bool)
	if t, ok := body["temperature"].(float64); ok {
		c.Temperature = &t
	}
	if c.Model == "" {
		writeJSON(w, 400, openAIError("invalid_request_error", "you must provide a model parameter", nil))
		return
	}
	msgs := list(body["messages"])
	if len(msgs) == 0 {
		writeJSON(w, 400, openAIError("invalid_request_error", "[] is too short - 'messages'", nil))
		return
	}
	for _, m := range msgs {
		mm := obj(m)
		msg := Msg{Role: str(mm["role"]), ToolCallID: str(mm["tool_call_id"])}
		switch content := mm["content"].(type) {
		case string:
			msg.Text = content
		case []any:
			for _, p := range content {
				pp := obj(p)
				switch str(pp["type"]) {
				case "text":
					msg.Text += str(pp["text"])
				case "image_url":
					msg.Images++
				}
			}
		}
		for _, tc := range list(mm["tool_calls"]) {
			msg.ToolCalls = append(msg.ToolCalls, str(obj(obj(tc)["function"])["name"]))
		}
		if msg.Role == "system" || msg.Role == "developer" {
			c.System += msg.Text
			continue
		}
		c.Messages = append(c.Messages, msg)
	}
	for _, t := range list(body["tools"]) {
		c.Tools = append(c.Tools, str(obj(obj(t)["function"])["name"]))
	}
	if rf := obj(body["response_format"]); rf != nil {
		switch str(rf["type"]) {
		case "json_schema":
			c.Schema = obj(obj(rf["json_schema"])["schema"])
		case "json_object":
			c.JSONMode = true
		}
	}
	rep := s.record(c)
	if !wait(r, rep) {
		return
	}
	if rep.Status != 0 && rep.Status != http.StatusOK {
		openAIStatus(w, rep)
		return
	}
	in, out, cached := rep.usage(&c)
	s.recordUsage(Usage{Provider: OpenAI, Model: c.Model, InputTokens: in, OutputTokens: out, CachedTokens: cached})
	usage := map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out,
		"prompt_tokens_details": map[string]any{"cached_tokens": cached}}
	id, created := newID("chatcmpl-"), time.Now().Unix()
	var calls []any
	finish := "stop"
	for i, tc := range rep.ToolCalls {
		args, _ := json.Marshal(tc.Args)
		calls = append(calls, map[string]any{"index": i, "id": fmt.Sprintf("call_%s_%d", id, i), "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": string(args)}})
		finish = "tool_calls"
	}
	if !c.Stream {
		msg := map[string]any{"role": "assistant", "content": rep.Text, "refusal": nil}
		if len(calls) > 0 {
			msg["tool_calls"] = calls
			if rep.Text == "" {
				msg["content"] = nil
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "chat.completion", "created": created, "model": c.Model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
			"usage":   usage, "system_fingerprint": "fp_fake"})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	chunk := func(delta map[string]any, finish any, usage any) {
		ch := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": c.Model,
			"system_fingerprint": "fp_fake", "choices": []any{}}
		if delta != nil {
			ch["choices"] = []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}
		}
		if usage != nil {
			ch["usage"] = usage
		}
		b, _ := json.Marshal(ch)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, nil, nil)
	for _, piece := range split(rep.Text) {
		chunk(map[string]any{"content": piece}, nil, nil)
	}
	for i, tc := range calls {
		tcm := tc.(map[string]any)
		fn := tcm["function"].(map[string]any)
		args := fn["arguments"].(string)
		half := len(args) / 2
		chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": tcm["id"], "type": "function",
			"function": map[string]any{"name": fn["name"], "arguments": args[:half]}}}}, nil, nil)
		chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": args[half:]}}}}, nil, nil)
	}
	chunk(map[string]any{}, finish, nil)
	if so := obj(body["stream_options"]); so != nil && so["include_usage"] == true {
		chunk(nil, nil, usage)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// split cuts text into a few pieces, as a stream would deliver them.
func split(s string) []string {
	var out []string
	for len(s) > 0 {
		n := min(len(s), 5)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func (s *Server) openAIEmbed(w http.ResponseWriter, r *http.Request, body map[string]any) {
	if !s.openAIAuth(w, r) {
		return
	}
	var inputs []string
	switch in := body["input"].(type) {
	case string:
		inputs = []string{in}
	case []any:
		for _, x := range in {
			inputs = append(inputs, str(x))
		}
	}
	c := Call{Provider: OpenAI, Kind: "embed", Model: str(body["model"]), Inputs: inputs, Header: r.Header.Clone(), Body: body}
	s.record(c)
	if len(inputs) == 0 {
		writeJSON(w, 400, openAIError("invalid_request_error", "'input' is a required property", nil))
		return
	}
	var data []any
	var n int64
	for i, in := range inputs {
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": vector(in)})
		n += tokens(in)
	}
	s.recordUsage(Usage{Provider: OpenAI, Model: c.Model, InputTokens: n})
	writeJSON(w, 200, map[string]any{"object": "list", "data": data, "model": c.Model,
		"usage": map[string]any{"prompt_tokens": n, "total_tokens": n}})
}
