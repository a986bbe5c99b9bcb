package ai

import (
	"context"
	"encoding/json"
	"net/http"
)

// Provider names.
const (
	OpenAI           = "openai"
	Anthropic        = "anthropic"
	Gemini           = "gemini"
	OpenAICompatible = "openai-compatible"
)

// Providers lists the provider names the steps accept.
var Providers = []string{OpenAI, Anthropic, Gemini, OpenAICompatible}

// Provider speaks one vendor's wire format. Implementations translate the
// neutral ChatRequest to the vendor's request and the answer back; they do
// no retries, caching or accounting (the Service does).
type Provider interface {
	Name() string
	// Chat runs one model call. When onDelta is not nil the call streams and
	// onDelta receives each text fragment as it arrives; the returned
	// response is the whole answer either way.
	Chat(ctx context.Context, req *ChatRequest, onDelta func(string)) (*ChatResponse, error)
	// Embed returns one vector per input (ErrUnsupported where the vendor
	// has no embeddings API).
	Embed(ctx context.Context, req *EmbedRequest) (*EmbedResponse, error)
}

// Endpoint is where and how a provider is called.
type Endpoint struct {
	BaseURL string
	APIKey  string
	// Header is added to every request (OpenAI-Organization, api-version, …).
	Header http.Header
	HTTP   *http.Client
	// Authorize, when set, authenticates each request (a token the vault
	// issues, OAuth 2.0 or JWT) in place of APIKey.
	Authorize func(*http.Request) error
}

// ChatRequest is a provider-neutral model call.
type ChatRequest struct {
	Model       string    `json:"model"`
	System      string    `json:"system,omitempty"`
	Messages    []Message `json:"messages"`
	Temperature *float64  `json:"temperature,omitempty"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	Stop        []string  `json:"stop,omitempty"`
	Seed        *int64    `json:"seed,omitempty"`
	Tools       []Tool    `json:"tools,omitempty"`
	// Schema, when set, asks for a JSON answer matching it (native structured
	// output where the provider has it).
	Schema *Schema `json:"schema,omitempty"`
}

// Message is one turn of a conversation.
type Message struct {
	Role string `json:"role"` // system, user, assistant, tool
	// Content is the text; Images are added to user messages.
	Content string  `json:"content,omitempty"`
	Images  []Image `json:"images,omitempty"`
	// ToolCalls are the assistant's requests; ToolCallID and Name identify
	// the call a tool message answers.
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	Name       string     `json:"name,omitempty"`
}

// Image is an image given by URL or as base64 data with its media type.
type Image struct {
	URL       string `json:"url,omitempty"`
	Data      string `json:"data,omitempty"`
	MediaType string `json:"media_type,omitempty"`
}

// Tool is a function the model may call.
type Tool struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

// ToolCall is the model asking to run a tool with arguments (a JSON object).
type ToolCall struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Schema is a JSON Schema for a structured answer.
type Schema struct {
	Name   string         `json:"name"`
	Schema map[string]any `json:"schema"`
}

// Usage is what a call consumed, as the provider reported it.
type Usage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	CachedTokens int64 `json:"cached_tokens"`
}

// Add sums usage.
func (u Usage) Add(o Usage) Usage {
	return Usage{u.InputTokens + o.InputTokens, u.OutputTokens + o.OutputTokens, u.CachedTokens + o.CachedTokens}
}

// ChatResponse is a provider-neutral answer.
type ChatResponse struct {
	Text         string     `json:"text"`
	ToolCalls    []ToolCall `json:"tool_calls,omitempty"`
	FinishReason string     `json:"finish_reason"` // stop, length, tool_calls, content_filter
	Usage        Usage      `json:"usage"`
	Model        string     `json:"model"`
}

// EmbedRequest asks for embeddings of Input.
type EmbedRequest struct {
	Model      string   `json:"model"`
	Input      []string `json:"input"`
	Dimensions int      `json:"dimensions,omitempty"`
}

// EmbedResponse holds one vector per input, in order.
type EmbedResponse struct {
	Vectors [][]float64 `json:"vectors"`
	Usage   Usage       `json:"usage"`
	Model   string      `json:"model"`
}
