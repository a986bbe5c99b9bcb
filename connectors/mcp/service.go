package mcp

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft/step"
)

// TypeCall is the step type of a deterministic tool call.
const TypeCall = "mcp.call"

// Config configures the MCP client. Zero values take the defaults of
// WithDefaults.
type Config struct {
	// Stdio maps allowlisted stdio server names to their command line
	// (program and arguments), from --mcp-stdio-allow NAME=COMMAND.
	Stdio map[string][]string
	// StdioEnv is the environment of stdio servers (default: PATH and HOME
	// only, so Weft's own secrets never reach a child process).
	StdioEnv []string
	// HTTP is the client used when a step's Env lends none.
	HTTP *http.Client
	// ToolsTTL is how long a connection's tools/list answer is reused.
	ToolsTTL time.Duration
	// MaxTools bounds the tools one server may list; MaxPages the pages of
	// tools/list read.
	MaxTools, MaxPages int
	// MaxMessage bounds one message from a server (bytes).
	MaxMessage int
	// MaxOutput bounds a tool's output as JSON (bytes).
	MaxOutput int
	Logger    *slog.Logger
	Now       func() time.Time
	// Store keeps each connection's last tools/list durably, for save-time
	// checks and the console (nil: the in-memory cache only).
	Store ToolStore
}

// WithDefaults returns a copy of c with defaults filled in.
func (c Config) WithDefaults() Config {
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 5 * time.Minute}
	}
	if c.ToolsTTL == 0 {
		c.ToolsTTL = 5 * time.Minute
	}
	if c.MaxTools == 0 {
		c.MaxTools = 500
	}
	if c.MaxPages == 0 {
		c.MaxPages = 20
	}
	if c.MaxMessage == 0 {
		c.MaxMessage = 8 << 20
	}
	if c.MaxOutput == 0 {
		c.MaxOutput = 4 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate checks the stdio allowlist.
func (c Config) Validate() error {
	for name, argv := range c.Stdio {
		if name == "" || strings.ContainsAny(name, " =") {
			return fmt.Errorf("mcp stdio allowlist: name %q must be a word without spaces or '='", name)
		}
		if len(argv) == 0 || argv[0] == "" {
			return fmt.Errorf("mcp stdio allowlist: server %q has no command; use --mcp-stdio-allow NAME=COMMAND", name)
		}
	}
	return nil
}

// ParseStdioAllow reads --mcp-stdio-allow values, each NAME=COMMAND with the
// command's words separated by spaces.
func ParseStdioAllow(values []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, v := range values {
		name, cmd, ok := strings.Cut(v, "=")
		name = strings.TrimSpace(name)
		argv := strings.Fields(cmd)
		if !ok || name == "" || len(argv) == 0 {
			return nil, fmt.Errorf("--mcp-stdio-allow %q: use NAME=COMMAND, like everything=npx -y @modelcontextprotocol/server-everything", v)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--mcp-stdio-allow: server %q is given twice", name)
		}
		out[name] = argv
	}
	return out, nil
}

// Service is the MCP client shared by mcp.call and ai.agent.
type Service struct {
	cfg Config

	mu    sync.Mutex
	cache map[string]toolsEntry // by workflow + connection
}

type toolsEntry struct {
	at    time.Time
	tools []ToolInfo
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, cache: map[string]toolsEntry{}}, nil
}

// Register adds mcp.call to reg with a Service of defaults (no stdio
// servers).
func Register(reg *step.Registry) error {
	s, err := NewService(Config{})
	if err != nil {
		return err
	}
	return s.Register(reg)
}

// Register adds mcp.call to reg, backed by s.
func (s *Service) Register(reg *step.Registry) error {
	spec := callSpec()
	if err := reg.Add(spec, call{s: s, spec: spec}); err != nil {
		return fmt.Errorf("registering mcp.call: %w", err)
	}
	return nil
}
