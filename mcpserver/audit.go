package mcpserver

import (
	"context"
	"net"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Audit actions of the MCP server: a call that started an execution, and a
// call that started none (a tool the token may not call or that does not
// exist, input that does not match, the call bound reached).
const (
	ActionCall    = "mcp.call"
	ActionRefused = "mcp.call.refused"
)

// Auditor records one audit entry of principal (as the Tokens verifier
// named it), from source (the client's address) on workflow. Weft's wiring
// hands it to the audit trail.
type Auditor func(ctx context.Context, principal, source, action, workflow string, detail map[string]any)

// sourceKey is where verify leaves the client's address in the token info
// of each request.
const sourceKey = "source"

// sourceOf is the client address of an HTTP request, without the port.
func sourceOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// who names the principal and the address of a tool call's request.
func who(extra *mcp.RequestExtra) (principal, source string) {
	if extra == nil || extra.TokenInfo == nil {
		return "", ""
	}
	ti := extra.TokenInfo
	src, _ := ti.Extra[sourceKey].(string)
	return ti.UserID, src
}

// audit records one entry when an Auditor is configured.
func (s *Server) audit(ctx context.Context, extra *mcp.RequestExtra, action, workflow string, detail map[string]any) {
	if s.cfg.Audit == nil {
		return
	}
	principal, source := who(extra)
	s.cfg.Audit(context.WithoutCancel(ctx), principal, source, action, workflow, detail)
}

// auditUnknownTools records the calls of tools a session does not list
// (missing, disabled, or not this token's): the SDK answers them with a
// protocol error before any tool handler runs. Calls of listed tools are
// recorded by the handler, so each call is recorded once.
func (s *Server) auditUnknownTools(listed map[string]bool) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "tools/call" {
				if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok && !listed[p.Name] {
					s.audit(ctx, req.GetExtra(), ActionRefused, p.Name, map[string]any{"reason": "not a tool of this session: unknown, disabled or not allowed for this token"})
				}
			}
			return next(ctx, method, req)
		}
	}
}
