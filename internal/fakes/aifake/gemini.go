package aifake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

func geminiError(code int, status, msg string) map[string]any {
	return map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}}
}

func (s *Server) geminiAuth(w http.ResponseWriter, r *http.Request) bool {
	if s.Key == "" || r.Header.Get("x-goog-api-key") == s.Key || r.URL.Query().Get("key") == s.Key {
		return true
	}
	// Gemini answers a bad key with 400 INVALID_ARGUMENT.
	writeJSON(w, 400, geminiError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."))
	return false
}

func (s *Server) geminiGenerate(w http.ResponseWriter, r *http.Request, model string, stream bool, body map[string]any) {
	if !s.geminiAuth(w, r) {
		return
	}
	if stream && r.URL.Query().Get("alt") != "sse" {
		writeJSON(w, 400, geminiError(400, "INVALID_ARGUMENT", "this fake streams with alt=sse only"))
		return
	}
	c := Call{Provider: Gemini, Kind: "chat", Model: model, Stream: stream, Header: r.Header.Clone(), Body: body}
	for _, p := range list(obj(body["systemInstruction"])["parts"]) {
		c.System += str(obj(p)["text"])
	}
	gc := obj(body["generationConfig"])
	if t, ok := gc["temperature"].(float64); ok {
		c.Temperature = &t
	}
	if sch := obj(gc["responseJsonSchema"]); sch != nil {
		c.Schema = sch
	} else if sch := obj(gc["responseSchema"]); sch != nil {
		c.Schema = sch
	}
	contents := list(body["contents"])
	if len(contents) == 0 {
		writeJSON(w, 400, geminiError(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified"))
		return
	}
	for _, ct := range contents {
		cc := obj(ct)
		role := str(cc["role"])
		if role == "model" {
			role = "assistant"
		}
		msg := Msg{Role: role}
		for _, p := range list(cc["parts"]) {
			pp := obj(p)
			switch {
			case pp["text"] != nil:
				msg.Text += str(pp["text"])
			case pp["inlineData"] != nil || pp["fileData"] != nil:
				msg.Images++
			case pp["functionCall"] != nil:
				msg.ToolCalls = append(msg.ToolCalls, str(obj(pp["functionCall"])["name"]))
			case pp["functionResponse"] != nil:
				fr := obj(pp["functionResponse"])
				b, _ := json.Marshal(fr["response"])
				c.Messages = append(c.Messages, Msg{Role: "tool", ToolCallID: str(fr["name"]), Text: string(b)})
			}
		}
		if msg.Text != "" || len(msg.ToolCalls) > 0 || msg.Images > 0 {
			c.Messages = append(c.Messages, msg)
		}
	}
	for _, t := range list(body["tools"]) {
		for _, d := range list(obj(t)["functionDeclarations"]) {
			c.Tools = append(c.Tools, str(obj(d)["name"]))
		}
	}
	rep := s.record(c)
	if !wait(r, rep) {
		return
	}
	if rep.Status != 0 && rep.Status != http.StatusOK {
		switch rep.Status {
		case http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(rep.RetryAfter))
			writeJSON(w, 429, geminiError(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."))
		case http.StatusBadRequest:
			writeJSON(w, 400, geminiError(400, "INVALID_ARGUMENT", "Request contains an invalid argument."))
		case http.StatusUnauthorized:
			writeJSON(w, 401, geminiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."))
		case http.StatusServiceUnavailable:
			writeJSON(w, 503, geminiError(503, "UNAVAILABLE", "The model is overloaded. Please try again later."))
		default:
			writeJSON(w, rep.Status, geminiError(rep.Status, "INTERNAL", "An internal error has occurred."))
		}
		return
	}
	in, out, cached := rep.usage(&c)
	s.recordUsage(Usage{Provider: Gemini, Model: model, InputTokens: in, OutputTokens: out, CachedTokens: cached})
	usage := map[string]any{"promptTokenCount": in, "candidatesTokenCount": out, "totalTokenCount": in + out}
	if cached > 0 {
		usage["cachedContentTokenCount"] = cached
	}
	var calls []any
	for _, tc := range rep.ToolCalls {
		args := tc.Args
		if args == nil {
			args = map[string]any{}
		}
		calls = append(calls, map[string]any{"functionCall": map[string]any{"name": tc.Name, "args": args}})
	}
	response := func(parts []any, finish string, usage any) map[string]any {
		cand := map[string]any{"content": map[string]any{"role": "model", "parts": parts}, "index": 0}
		if finish != "" {
			cand["finishReason"] = finish
		}
		out := map[string]any{"candidates": []any{cand}, "modelVersion": model, "responseId": newID("resp_")}
		if usage != nil {
			out["usageMetadata"] = usage
		}
		return out
	}
	if !stream {
		parts := []any{}
		if rep.Text != "" {
			parts = append(parts, map[string]any{"text": rep.Text})
		}
		parts = append(parts, calls...)
		writeJSON(w, 200, response(parts, "STOP", usage))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	fl, _ := w.(http.Flusher)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\r\n\r\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	pieces := split(rep.Text)
	for _, piece := range pieces {
		// Gemini reports usage on every chunk; the last one is final.
		send(response([]any{map[string]any{"text": piece}}, "", map[string]any{"promptTokenCount": in, "totalTokenCount": in}))
	}
	last := append([]any{}, calls...)
	if len(last) == 0 {
		last = []any{map[string]any{"text": ""}}
	}
	send(response(last, "STOP", usage))
}

func (s *Server) geminiEmbed(w http.ResponseWriter, r *http.Request, model string, batch bool, body map[string]any) {
	if !s.geminiAuth(w, r) {
		return
	}
	text := func(content any) string {
		out := ""
		for _, p := range list(obj(content)["parts"]) {
			out += str(obj(p)["text"])
		}
		return out
	}
	var inputs []string
	if batch {
		for _, rq := range list(body["requests"]) {
			inputs = append(inputs, text(obj(rq)["content"]))
		}
	} else {
		inputs = []string{text(body["content"])}
	}
	s.record(Call{Provider: Gemini, Kind: "embed", Model: model, Inputs: inputs, Header: r.Header.Clone(), Body: body})
	// Gemini's embedding answers carry no token counts.
	if !batch {
		writeJSON(w, 200, map[string]any{"embedding": map[string]any{"values": vector(inputs[0])}})
		return
	}
	var embs []any
	for _, in := range inputs {
		embs = append(embs, map[string]any{"values": vector(in)})
	}
	writeJSON(w, 200, map[string]any{"embeddings": embs})
}
