package aifake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Provider names as the fake reports them in Call.Provider.
const (
	OpenAI    = "openai"
	Anthropic = "anthropic"
	Gemini    = "gemini"
)

// Msg is one message of a call, read back from the provider's format.
type Msg struct {
	Role string // system, user, assistant, tool
	Text string
	// ToolCalls are the assistant's calls (names); ToolCallID is set on tool results.
	ToolCalls  []string
	ToolCallID string
	Images     int
}

// Call is a request the fake received, translated to a neutral form.
type Call struct {
	Provider string
	Kind     string // "chat" or "embed"
	Model    string
	Stream   bool
	System   string
	Messages []Msg
	Tools    []string
	// Schema is the structured-output schema asked for natively (OpenAI
	// json_schema, Gemini responseJsonSchema, Anthropic forced tool), if any.
	Schema      map[string]any
	JSONMode    bool // OpenAI response_format json_object
	Temperature *float64
	Inputs      []string // embeddings
	Header      http.Header
	Body        map[string]any
}

// LastUser returns the text of the last user message.
func (c *Call) LastUser() string {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if c.Messages[i].Role == "user" {
			return c.Messages[i].Text
		}
	}
	return ""
}

// ToolResults counts the tool results in the conversation.
func (c *Call) ToolResults() int {
	n := 0
	for _, m := range c.Messages {
		if m.Role == "tool" {
			n++
		}
	}
	return n
}

// ToolCall is a call the fake's model makes.
type ToolCall struct {
	Name string
	Args map[string]any
}

// Reply is the fake model's answer to one call.
type Reply struct {
	Text      string
	ToolCalls []ToolCall
	// Usage overrides the token counts (default: about 4 characters a token).
	InputTokens, OutputTokens, CachedTokens int64
	// Status, when not 0 or 200, makes the call fail with the provider's error
	// body for that status (429 carries Retry-After: RetryAfter seconds).
	Status     int
	RetryAfter int
	// Delay holds the answer back (for timeouts and crash tests); a canceled
	// request ends it.
	Delay time.Duration
	// Hold, when not nil, holds the answer until it is closed (or the
	// request is canceled).
	Hold <-chan struct{}
}

// Usage is what the fake reported for one successful call.
type Usage struct {
	Provider, Model                         string
	InputTokens, OutputTokens, CachedTokens int64
}

// Server is the fake. Set Respond before the first call; it is called for
// every chat call (embedding calls answer with deterministic vectors).
type Server struct {
	*httptest.Server
	// Key is the API key every call must carry (Authorization: Bearer for
	// OpenAI, x-api-key for Anthropic, x-goog-api-key or ?key= for Gemini);
	// "" accepts any.
	Key string

	mu      sync.Mutex
	respond func(*Call) Reply
	calls   []Call
	usage   []Usage
}

// New starts a fake whose model answers with respond.
func New(key string, respond func(*Call) Reply) *Server {
	s := &Server{Key: key, respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// SetRespond replaces the answer function.
func (s *Server) SetRespond(f func(*Call) Reply) {
	s.mu.Lock()
	s.respond = f
	s.mu.Unlock()
}

// OpenAIURL, AnthropicURL and GeminiURL are the base URLs to configure.
func (s *Server) OpenAIURL() string    { return s.URL + "/v1" }
func (s *Server) AnthropicURL() string { return s.URL }
func (s *Server) GeminiURL() string    { return s.URL + "/v1beta" }

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Count returns how many calls matched f (nil: all).
func (s *Server) Count(f func(*Call) bool) int {
	n := 0
	for _, c := range s.Calls() {
		if f == nil || f(&c) {
			n++
		}
	}
	return n
}

// Usage returns the usage reported for every successful call.
func (s *Server) Usage() []Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Usage(nil), s.usage...)
}

// TotalUsage sums Usage.
func (s *Server) TotalUsage() Usage {
	var t Usage
	for _, u := range s.Usage() {
		t.InputTokens += u.InputTokens
		t.OutputTokens += u.OutputTokens
		t.CachedTokens += u.CachedTokens
	}
	return t
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		s.badRequest(w, r, "could not parse the JSON body of your request")
		return
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodPost && path == "/v1/chat/completions":
		s.openAIChat(w, r, body)
	case r.Method == http.MethodPost && path == "/v1/embeddings":
		s.openAIEmbed(w, r, body)
	case r.Method == http.MethodPost && path == "/v1/messages":
		s.anthropicMessages(w, r, body)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/v1beta/models/"):
		model, method, _ := strings.Cut(strings.TrimPrefix(path, "/v1beta/models/"), ":")
		switch method {
		case "generateContent", "streamGenerateContent":
			s.geminiGenerate(w, r, model, method == "streamGenerateContent", body)
		case "embedContent", "batchEmbedContents":
			s.geminiEmbed(w, r, model, method == "batchEmbedContents", body)
		default:
			writeJSON(w, http.StatusNotFound, geminiError(http.StatusNotFound, "NOT_FOUND", "method not found"))
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
			"message": fmt.Sprintf("Unknown request URL: %s %s.", r.Method, path), "type": "invalid_request_error", "code": "unknown_url"}})
	}
}

func (s *Server) record(c Call) Reply {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	respond := s.respond
	s.mu.Unlock()
	if c.Kind != "chat" || respond == nil {
		return Reply{}
	}
	return respond(&c)
}

func (s *Server) recordUsage(u Usage) {
	s.mu.Lock()
	s.usage = append(s.usage, u)
	s.mu.Unlock()
}

// wait applies Delay and Hold; it reports false if the client went away.
func wait(r *http.Request, rep Reply) bool {
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return false
		}
	}
	if rep.Hold != nil {
		select {
		case <-rep.Hold:
		case <-r.Context().Done():
			return false
		}
	}
	return true
}

// tokens approximates a tokenizer: about four characters a token.
func tokens(s string) int64 { return int64(len(s)/4 + 1) }

func (rep Reply) usage(c *Call) (in, out, cached int64) {
	in, out, cached = rep.InputTokens, rep.OutputTokens, rep.CachedTokens
	if in == 0 {
		n := tokens(c.System)
		for _, m := range c.Messages {
			n += tokens(m.Text)
		}
		in = n
	}
	if out == 0 {
		out = tokens(rep.Text)
		for _, tc := range rep.ToolCalls {
			b, _ := json.Marshal(tc.Args)
			out += tokens(string(b))
		}
	}
	return in, out, cached
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, msg string) {
	switch {
	case r.URL.Path == "/v1/messages":
		writeJSON(w, 400, anthropicError("invalid_request_error", msg))
	case strings.HasPrefix(r.URL.Path, "/v1beta/"):
		writeJSON(w, 400, geminiError(400, "INVALID_ARGUMENT", msg))
	default:
		writeJSON(w, 400, openAIError("invalid_request_error", msg, nil))
	}
}

func str(v any) string { s, _ := v.(string); return s }

func list(v any) []any { l, _ := v.([]any); return l }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func vector(s string) []float64 {
	v := make([]float64, 8)
	for i, b := range []byte(s) {
		v[i%8] += float64(b) / 1000
	}
	return v
}

var idSeq struct {
	sync.Mutex
	n int
}

func newID(prefix string) string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return fmt.Sprintf("%s%06d", prefix, idSeq.n)
}
