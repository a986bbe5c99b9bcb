package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

// Engine is what the server needs of the engine.
type Engine interface {
	Start(ctx context.Context, req engine.StartRequest) (*engine.Started, error)
	Wait(ctx context.Context, id string) (weft.Execution, error)
	Cancel(ctx context.Context, id string) (weft.Execution, error)
	Compiled(ctx context.Context, name string) (weft.WorkflowRecord, *workflow.Compiled, error)
}

var _ Engine = (*engine.Engine)(nil)

// Store is what the server reads.
type Store interface {
	ListWorkflows(ctx context.Context, page store.Page) ([]weft.WorkflowRecord, string, error)
	GetExecution(ctx context.Context, id string) (weft.Execution, error)
	GetStepRuns(ctx context.Context, executionID string) ([]weft.StepRun, error)
}

// Tokens verifies API tokens and names their principal (api.TokenVerifier
// satisfies it).
type Tokens interface {
	Principal(ctx context.Context, token string) (name string, ok bool)
}

// Config configures the MCP server. Zero limits take WithDefaults' values.
type Config struct {
	Engine Engine
	Store  Store
	Tokens Tokens
	Logger *slog.Logger
	// Allow decides whether principal may call (or see) the tool of
	// workflow; nil lets every authenticated principal call every tool.
	Allow func(ctx context.Context, principal, workflow string) bool
	// Audit records every tool call, started or refused, once; nil records
	// none.
	Audit Auditor
	// Progress is how long a call waits before its first progress
	// notification, and between notifications.
	Progress time.Duration
	// MaxWait is how long a call waits for its execution before it answers
	// with the execution's id; the execution goes on.
	MaxWait time.Duration
	// MaxCalls bounds the tool calls running at once in this process.
	MaxCalls int
	// MaxTools bounds the workflows one session lists as tools.
	MaxTools int
	// MaxBody bounds one request body (bytes).
	MaxBody int64
	// SessionTimeout closes sessions idle for this long.
	SessionTimeout time.Duration
}

// WithDefaults fills in zero values.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Progress == 0 {
		c.Progress = 5 * time.Second
	}
	if c.MaxWait == 0 {
		c.MaxWait = 10 * time.Minute
	}
	if c.MaxCalls == 0 {
		c.MaxCalls = 64
	}
	if c.MaxTools == 0 {
		c.MaxTools = 1000
	}
	if c.MaxBody == 0 {
		c.MaxBody = 1 << 20
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 30 * time.Minute
	}
	return c
}

// Validate names a missing dependency.
func (c Config) Validate() error {
	switch {
	case c.Engine == nil:
		return errors.New("mcpserver: Config.Engine is required")
	case c.Store == nil:
		return errors.New("mcpserver: Config.Store is required")
	case c.Tokens == nil:
		return errors.New("mcpserver: Config.Tokens is required")
	}
	return nil
}

// Server serves /mcp.
type Server struct {
	cfg   Config
	slots chan struct{}
	h     http.Handler
}

// New builds the server.
func New(cfg Config) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, slots: make(chan struct{}, cfg.MaxCalls)}
	streamable := mcp.NewStreamableHTTPHandler(s.newSession, &mcp.StreamableHTTPOptions{
		Logger: cfg.Logger, SessionTimeout: cfg.SessionTimeout,
	})
	verify := func(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
		who, ok := cfg.Tokens.Principal(ctx, token)
		if !ok {
			return nil, fmt.Errorf("the API token is not valid: %w", auth.ErrInvalidToken)
		}
		// Sessions are bound to the principal; tokens expire only when revoked.
		return &auth.TokenInfo{UserID: who, Expiration: time.Now().Add(24 * time.Hour),
			Extra: map[string]any{sourceKey: sourceOf(r)}}, nil
	}
	guarded := auth.RequireBearerToken(verify, nil)(streamable)
	s.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, cfg.MaxBody)
		guarded.ServeHTTP(w, r)
	})
	return s, nil
}

// ServeHTTP serves the Streamable HTTP transport.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// newSession builds the MCP server a new session talks to: one tool per
// workflow marked as a tool that the principal may call, and the
// execution resources.
func (s *Server) newSession(r *http.Request) *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "weft", Version: "1"}, &mcp.ServerOptions{
		Instructions: "Each tool runs a Weft workflow. A call answers the execution's output; a long one answers its execution id, " +
			"readable later as the resource weft://executions/{id}.",
	})
	principal := ""
	if ti := auth.TokenInfoFromContext(r.Context()); ti != nil {
		principal = ti.UserID
	}
	listed := s.addTools(r.Context(), srv, principal)
	srv.AddReceivingMiddleware(s.auditUnknownTools(listed))
	s.addResources(srv)
	return srv
}
