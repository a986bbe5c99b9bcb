package credential

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// TypeMCP is a Model Context Protocol server: a Streamable HTTP endpoint, or
// a stdio command the operator allowlisted by name (--mcp-stdio-allow). A
// workflow names the connection; it never names a command.
const TypeMCP = "mcp"

func mcpTypes() []step.Spec {
	return []step.Spec{{Type: TypeMCP, Title: "MCP server",
		Description: "A Model Context Protocol server whose tools mcp.call and ai.agent use. Give `url` (Streamable HTTP) or " +
			"`stdio` (the name of a command the operator allowlisted with --mcp-stdio-allow NAME=COMMAND). An HTTP server " +
			"authenticates with `token` (sent as a bearer token) or with `auth`, the name of another connection " +
			"(api_key, bearer, oauth2_client_credentials, oauth2_code, jwt, custom) whose authentication is added to every request.",
		Fields: []step.Field{
			plain("url", "Streamable HTTP endpoint, like https://mcp.example.com/mcp.", false),
			plain("stdio", "Name of an allowlisted stdio server (weft serve --mcp-stdio-allow NAME=COMMAND).", false),
			secret("token", "Bearer token for the HTTP endpoint.", false),
			plain("auth", "Name of another connection that authenticates each HTTP request (e.g. an oauth2_code connection).", false),
		}}}
}

// validateMCP checks that an mcp connection names exactly one transport.
func validateMCP(data map[string]any) error {
	url, _ := data["url"].(string)
	stdio, _ := data["stdio"].(string)
	switch {
	case url == "" && stdio == "":
		return fmt.Errorf("credential type mcp: give `url` (a Streamable HTTP endpoint) or `stdio` (an allowlisted server name)")
	case url != "" && stdio != "":
		return fmt.Errorf("credential type mcp: give `url` or `stdio`, not both")
	case url != "" && !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://"):
		return fmt.Errorf("credential type mcp: url %q must start with https:// or http://", url)
	}
	if auth, _ := data["auth"].(string); auth != "" && data["token"] != nil && data["token"] != "" {
		return fmt.Errorf("credential type mcp: give `token` or `auth`, not both")
	}
	return nil
}

// authorizeMCP adds an mcp connection's authentication: its bearer token, or
// that of the connection its `auth` names (checked for workflow the same
// way).
func (v *Vault) authorizeMCP(ctx context.Context, workflow string, l *loaded, req *http.Request) error {
	if tok := l.str("token"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	auth := l.str("auth")
	if auth == "" {
		return nil
	}
	if auth == l.rec.Name {
		return fmt.Errorf("credential %q: auth names the connection itself: %w", auth, weft.ErrInvalid)
	}
	inner, err := v.load(ctx, workflow, auth)
	if err != nil {
		return fmt.Errorf("credential %q: its auth connection: %w", l.rec.Name, err)
	}
	if inner.rec.Type == TypeMCP {
		return fmt.Errorf("credential %q: auth must name an authentication connection, not another mcp server: %w", l.rec.Name, weft.ErrInvalid)
	}
	return v.Authorize(ctx, workflow, auth, req)
}
