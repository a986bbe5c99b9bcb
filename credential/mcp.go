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
			"(api_key, bearer, oauth2_client_credentials, oauth2_code, jwt, custom) whose authentication is added to every request, " +
			"or with `oauth: true`: Weft discovers the server's authorization server (MCP authorization spec), registers itself " +
			"there unless `client_id` is given, and a user authorizes it once with Connect; tokens are refreshed from then on.",
		Fields: []step.Field{
			plain("url", "Streamable HTTP endpoint, like https://mcp.example.com/mcp.", false),
			plain("stdio", "Name of an allowlisted stdio server (weft serve --mcp-stdio-allow NAME=COMMAND).", false),
			secret("token", "Bearer token for the HTTP endpoint.", false),
			plain("auth", "Name of another connection that authenticates each HTTP request (e.g. an oauth2_code connection).", false),
			{Name: "oauth", Type: step.String, Enum: []string{"true", "false"},
				Description: "true: authorize with the server's own OAuth (discovery, dynamic registration, PKCE); press Connect after saving."},
			plain("redirect_url", "With oauth: Weft's callback, https://<weft>/oauth/callback (registered at the authorization server).", false),
			plain("client_id", "With oauth: a client registered at the authorization server; empty registers Weft dynamically.", false),
			secret("client_secret", "With oauth: the secret of client_id, if it has one.", false),
			plain("scopes", "With oauth: scopes to request (space or comma separated); default: what the server asks for.", false),
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
	on, _ := data["oauth"].(string)
	if on == "true" {
		red, _ := data["redirect_url"].(string)
		switch {
		case url == "":
			return fmt.Errorf("credential type mcp: oauth needs `url` (a Streamable HTTP endpoint)")
		case data["token"] != nil && data["token"] != "", data["auth"] != nil && data["auth"] != "":
			return fmt.Errorf("credential type mcp: oauth authorizes the connection itself; remove `token` and `auth`")
		case !strings.HasPrefix(red, "https://") && !strings.HasPrefix(red, "http://"):
			return fmt.Errorf("credential type mcp: oauth needs `redirect_url`, Weft's callback: https://<weft>/oauth/callback")
		}
	} else if on != "" && on != "false" {
		return fmt.Errorf("credential type mcp: oauth is \"true\" or \"false\", not %q", on)
	}
	return nil
}

// authorizeMCP adds an mcp connection's authentication: its bearer token, or
// that of the connection its `auth` names (checked for workflow the same
// way).
func (v *Vault) authorizeMCP(ctx context.Context, workflow string, l *loaded, req *http.Request) error {
	if mcpOAuthOn(l) {
		tok, err := v.accessToken(ctx, l)
		if err != nil {
			v.failed(l.rec.Name, err)
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
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
