package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// DefaultGeminiURL is the Gemini API base.
const DefaultGeminiURL = "https://generativelanguage.googleapis.com/v1beta"

type gemini struct{ ep Endpoint }

var _ Provider = (*gemini)(nil)

// NewGemini returns the Gemini API (generativelanguage) provider.
func NewGemini(ep Endpoint) Provider {
	if ep.BaseURL == "" {
		ep.BaseURL = DefaultGeminiURL
	}
	ep.BaseURL = strings.TrimRight(ep.BaseURL, "/")
	return &gemini{ep: ep}
}

func (p *gemini) Name() string { return Gemini }

type gemPart struct {
	Text             string         `json:"text,omitempty"`
	InlineData       *gemBlob       `json:"inlineData,omitempty"`
	FileData         *gemFile       `json:"fileData,omitempty"`
	FunctionCall     *gemFuncCall   `json:"functionCall,omitempty"`
	FunctionResponse *gemFuncResult `json:"functionResponse,omitempty"`
	Thought          bool           `json:"thought,omitempty"`
}

type gemBlob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type gemFile struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type gemFuncCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type gemFuncResult struct {
	ID       string         `json:"id,omitempty"`
	Name     string         `json:"name"`
	Response map[string]any `json:"response"`
}

type gemContent struct {
	Role  string    `json:"role,omitempty"`
	Parts []gemPart `json:"parts"`
}

type gemResponse struct {
	Candidates []struct {
		Content      gemContent `json:"content"`
		FinishReason string     `json:"finishReason"`
	} `json:"candidates"`
	UsageMetadata struct {
		PromptTokenCount        int64 `json:"promptTokenCount"`
		CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
		CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
		ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
}

func (p *gemini) body(req *ChatRequest) map[string]any {
	var contents []gemContent
	add := func(role string, parts ...gemPart) {
		if n := len(contents); n > 0 && contents[n-1].Role == role {
			contents[n-1].Parts = append(contents[n-1].Parts, parts...)
			return
		}
		contents = append(contents, gemContent{Role: role, Parts: parts})
	}
	names := map[string]string{} // tool call id → function name
	system := req.System
	for _, m := range req.Messages {
		switch m.Role {
		case "system":
			system = joinNonEmpty(system, m.Content)
		case "assistant":
			var parts []gemPart
			if m.Content != "" {
				parts = append(parts, gemPart{Text: m.Content})
			}
			for _, tc := range m.ToolCalls {
				names[tc.ID] = tc.Name
				parts = append(parts, gemPart{FunctionCall: &gemFuncCall{Name: tc.Name, Args: tc.Arguments}})
			}
			add("model", parts...)
		case "tool":
			var resp map[string]any
			if json.Unmarshal([]byte(m.Content), &resp) != nil || resp == nil {
				resp = map[string]any{"result": m.Content}
			}
			name := m.Name
			if name == "" {
				name = names[m.ToolCallID]
			}
			add("user", gemPart{FunctionResponse: &gemFuncResult{Name: name, Response: resp}})
		default:
			var parts []gemPart
			for _, img := range m.Images {
				if img.URL != "" {
					parts = append(parts, gemPart{FileData: &gemFile{MimeType: img.MediaType, FileURI: img.URL}})
				} else {
					parts = append(parts, gemPart{InlineData: &gemBlob{MimeType: img.MediaType, Data: img.Data}})
				}
			}
			parts = append(parts, gemPart{Text: m.Content})
			add("user", parts...)
		}
	}
	b := map[string]any{"contents": contents}
	if system != "" {
		b["systemInstruction"] = gemContent{Parts: []gemPart{{Text: system}}}
	}
	gc := map[string]any{}
	if req.Temperature != nil {
		gc["temperature"] = *req.Temperature
	}
	if req.MaxTokens > 0 {
		gc["maxOutputTokens"] = req.MaxTokens
	}
	if len(req.Stop) > 0 {
		gc["stopSequences"] = req.Stop
	}
	if req.Seed != nil {
		gc["seed"] = *req.Seed
	}
	if req.Schema != nil {
		gc["responseMimeType"] = "application/json"
		gc["responseJsonSchema"] = req.Schema.Schema
	}
	if len(gc) > 0 {
		b["generationConfig"] = gc
	}
	if len(req.Tools) > 0 {
		decls := make([]map[string]any, len(req.Tools))
		for i, t := range req.Tools {
			decls[i] = map[string]any{"name": t.Name, "description": t.Description, "parameters": toolParams(t.Parameters)}
		}
		b["tools"] = []any{map[string]any{"functionDeclarations": decls}}
	}
	return b
}

func (p *gemini) header() http.Header {
	h := http.Header{}
	if p.ep.APIKey != "" {
		h.Set("x-goog-api-key", p.ep.APIKey)
	}
	return h
}

func (p *gemini) modelURL(model, method string) string {
	model = strings.TrimPrefix(model, "models/")
	return fmt.Sprintf("%s/models/%s:%s", p.ep.BaseURL, url.PathEscape(model), method)
}

func (p *gemini) Chat(ctx context.Context, req *ChatRequest, onDelta func(string)) (*ChatResponse, error) {
	if onDelta == nil {
		resp, err := post(ctx, p.ep, Gemini, p.modelURL(req.Model, "generateContent"), p.header(), p.body(req), parseGeminiError)
		if err != nil {
			return nil, err
		}
		var out gemResponse
		if err := decode(Gemini, resp, &out); err != nil {
			return nil, err
		}
		acc := &gemAccumulator{}
		acc.add(&out)
		return acc.result(req.Model), nil
	}
	resp, err := post(ctx, p.ep, Gemini, p.modelURL(req.Model, "streamGenerateContent")+"?alt=sse", p.header(), p.body(req), parseGeminiError)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	acc := &gemAccumulator{}
	err = readSSE(ctx, resp.Body, func(ev sseEvent) (bool, error) {
		var chunk gemResponse
		if err := json.Unmarshal(ev.Data, &chunk); err != nil {
			return false, &ProviderError{Provider: Gemini, Status: resp.StatusCode, Message: "unreadable stream chunk: " + err.Error()}
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
	return acc.result(req.Model), nil
}

// gemAccumulator joins generateContent answers (one, or a stream's chunks).
type gemAccumulator struct {
	text   strings.Builder
	calls  []ToolCall
	finish string
	usage  Usage
	model  string
}

func (a *gemAccumulator) add(r *gemResponse) string {
	if r.ModelVersion != "" {
		a.model = r.ModelVersion
	}
	u := r.UsageMetadata
	if u.PromptTokenCount > 0 || u.CandidatesTokenCount > 0 {
		a.usage = Usage{InputTokens: u.PromptTokenCount, OutputTokens: u.CandidatesTokenCount + u.ThoughtsTokenCount, CachedTokens: u.CachedContentTokenCount}
	}
	delta := ""
	if len(r.Candidates) == 0 {
		return ""
	}
	c := r.Candidates[0]
	if c.FinishReason != "" {
		a.finish = c.FinishReason
	}
	for _, part := range c.Content.Parts {
		switch {
		case part.Thought:
		case part.FunctionCall != nil:
			id := part.FunctionCall.ID
			if id == "" {
				id = fmt.Sprintf("call_%d", len(a.calls)+1)
			}
			args := part.FunctionCall.Args
			if len(args) == 0 {
				args = json.RawMessage("{}")
			}
			a.calls = append(a.calls, ToolCall{ID: id, Name: part.FunctionCall.Name, Arguments: args})
		case part.Text != "":
			a.text.WriteString(part.Text)
			delta += part.Text
		}
	}
	return delta
}

func (a *gemAccumulator) result(model string) *ChatResponse {
	out := &ChatResponse{Text: a.text.String(), ToolCalls: a.calls, Usage: a.usage, Model: a.model}
	if out.Model == "" {
		out.Model = model
	}
	switch a.finish {
	case "STOP", "":
		out.FinishReason = "stop"
	case "MAX_TOKENS":
		out.FinishReason = "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII":
		out.FinishReason = "content_filter"
	default:
		out.FinishReason = strings.ToLower(a.finish)
	}
	if len(out.ToolCalls) > 0 {
		out.FinishReason = "tool_calls"
	}
	return out
}

func parseGeminiError(raw []byte) (string, string) {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "", ""
	}
	return e.Error.Status, e.Error.Message
}

func (p *gemini) Embed(ctx context.Context, req *EmbedRequest) (*EmbedResponse, error) {
	model := strings.TrimPrefix(req.Model, "models/")
	content := func(s string) map[string]any {
		c := map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": s}}}}
		if req.Dimensions > 0 {
			c["outputDimensionality"] = req.Dimensions
		}
		return c
	}
	if len(req.Input) == 1 {
		resp, err := post(ctx, p.ep, Gemini, p.modelURL(model, "embedContent"), p.header(), content(req.Input[0]), parseGeminiError)
		if err != nil {
			return nil, err
		}
		var out struct {
			Embedding struct {
				Values []float64 `json:"values"`
			} `json:"embedding"`
		}
		if err := decode(Gemini, resp, &out); err != nil {
			return nil, err
		}
		return &EmbedResponse{Vectors: [][]float64{out.Embedding.Values}, Model: model}, nil
	}
	reqs := make([]any, len(req.Input))
	for i, s := range req.Input {
		c := content(s)
		c["model"] = "models/" + model
		reqs[i] = c
	}
	resp, err := post(ctx, p.ep, Gemini, p.modelURL(model, "batchEmbedContents"), p.header(), map[string]any{"requests": reqs}, parseGeminiError)
	if err != nil {
		return nil, err
	}
	var out struct {
		Embeddings []struct {
			Values []float64 `json:"values"`
		} `json:"embeddings"`
	}
	if err := decode(Gemini, resp, &out); err != nil {
		return nil, err
	}
	vecs := make([][]float64, len(out.Embeddings))
	for i, e := range out.Embeddings {
		vecs[i] = e.Values
	}
	return &EmbedResponse{Vectors: vecs, Model: model}, nil
}
