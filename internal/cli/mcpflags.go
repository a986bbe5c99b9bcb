package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"net/http"

	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/connectors/mcp"
	"github.com/weftworks/weft/mcpserver"
	"github.com/weftworks/weft/step"
)

// mcpFlags are serve's settings for MCP: the stdio servers mcp connections
// may start (the MCP server side has none of its own yet).
type mcpFlags struct {
	stdio listFlag
}

// listFlag is a repeatable flag; its environment variable holds the values
// separated by newlines or semicolons.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ";") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func (m *mcpFlags) register(fs *flagSet) {
	const envVar = "WEFT_MCP_STDIO_ALLOW"
	if v := fs.env.Getenv(envVar); v != "" {
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == ';' }) {
			if s = strings.TrimSpace(s); s != "" {
				m.stdio = append(m.stdio, s)
			}
		}
	}
	fs.Var(&m.stdio, "mcp-stdio-allow", "NAME=COMMAND: a stdio MCP server that mcp connections may start as `stdio: NAME` "+
		"(repeatable; the command runs with PATH and HOME only)"+envNote(envVar))
	fs.vars["mcp-stdio-allow"] = envVar
}

// MCPConfig configures the MCP client (--mcp-stdio-allow).
type MCPConfig struct {
	// Stdio maps allowlisted stdio server names to their command lines.
	Stdio map[string][]string
	// ToolsTTL is how long a server's tool list is reused (0: the default).
	ToolsTTL time.Duration
	// Allow narrows further which workflows a principal may call through
	// /mcp (and read the executions of). Permissions come first: the admin
	// token and roles holding mcp:call may call every workflow marked
	// `mcp: {tool: true}`; a token scoped mcp:call:<workflow> only that one.
	Allow func(ctx context.Context, principal, workflow string) bool
	// Server overrides the MCP server's limits (zero: its defaults).
	Server mcpserver.Config
}

// withMCPServer mounts Weft's MCP server at /mcp in front of next.
func withMCPServer(c MCPConfig, a *App, tokens api.TokenVerifier, next http.Handler) (http.Handler, error) {
	cfg := c.Server
	access := newMCPAccess(tokens, a.Identity)
	cfg.Engine, cfg.Store, cfg.Tokens, cfg.Allow = a.Engine, a.Store, access, access.Allow
	if c.Allow != nil {
		cfg.Allow = func(ctx context.Context, principal, workflow string) bool {
			return access.Allow(ctx, principal, workflow) && c.Allow(ctx, principal, workflow)
		}
	}
	if a.Audit != nil {
		cfg.Audit = access.auditor(a.Audit)
	}
	cfg.Logger = a.Logger.With("component", "mcp")
	srv, err := mcpserver.New(cfg)
	if err != nil {
		return nil, err
	}
	return mount("/mcp", srv, next), nil
}

func (m *mcpFlags) config() (MCPConfig, error) {
	stdio, err := mcp.ParseStdioAllow(m.stdio)
	if err != nil {
		return MCPConfig{}, err
	}
	return MCPConfig{Stdio: stdio}, nil
}

func newMCPService(c MCPConfig, a *App) (*mcp.Service, error) {
	svc, err := mcp.NewService(mcp.Config{Stdio: c.Stdio, ToolsTTL: c.ToolsTTL, Logger: a.Logger, Store: mcpToolStore{a.Store}})
	if err != nil {
		return nil, fmt.Errorf("--mcp-stdio-allow: %w", err)
	}
	return svc, nil
}

// mcpToolSource lends ai.agent the tools of MCP servers, called with
// mcp.call.
type mcpToolSource struct{ svc *mcp.Service }

var _ ai.ToolSource = mcpToolSource{}

func (m mcpToolSource) Tools(ctx context.Context, req *step.Request, connection string) ([]ai.Tool, error) {
	list, err := m.svc.Tools(ctx, req, connection)
	if err != nil {
		return nil, err
	}
	out := make([]ai.Tool, len(list))
	for i, t := range list {
		out[i] = ai.Tool{Name: t.Name, Description: t.Description, Parameters: t.InputSchema}
	}
	return out, nil
}

func (mcpToolSource) CallStep() string { return mcp.TypeCall }
